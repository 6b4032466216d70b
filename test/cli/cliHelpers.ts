// Helpers for the `tunscope` command tests: run the built CLI (directly, in a
// namespace, or as the unprivileged user `nobody`), follow the UART wire
// records a QEMU-like peer receives, and timestamp stderr lines.
import { spawnSync, type ChildProcess } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { expect } from 'vitest'

import { TUNSCOPE_BIN } from '../helpers/bridgeProcess.js'
import { execFile, type ExecOptions, type ExecResult, type Netns } from '../helpers/netns.js'

export { TUNSCOPE_BIN }

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const PACKAGE_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
export const TCP_PEER = fileURLToPath(new URL('./tcpPeer.mjs', import.meta.url))

export const isRoot = process.getuid?.() === 0
export const NOBODY_UID = 65534
export const NOBODY_GID = 65534

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Runs a command in this process's namespaces; never rejects on a non-zero exit. */
export const runLocal = (cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> => execFile(cmd, args, opts)

/** `node bin/tunscope.mjs ARGS`, inside `ns` when given. */
export function tunscope(args: readonly string[], where: { ns?: Netns; cwd?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  const opts: ExecOptions = { cwd: where.cwd, timeoutMs: where.timeoutMs ?? 15_000 }
  return where.ns ? where.ns.exec(process.execPath, [TUNSCOPE_BIN, ...args], opts) : runLocal(process.execPath, [TUNSCOPE_BIN, ...args], opts)
}

/** The lines of a stream's text, without the empty one after a final newline. */
/** Exactly one stderr line "tunscope: …" matching every pattern, exit 2, nothing on stdout; returns the line. */
export function expectRefused(r: ExecResult, ...patterns: RegExp[]): string {
  const err = lines(r.stderr)
  expect(err, r.stderr).toHaveLength(1)
  expect(err[0]).toMatch(/^tunscope: \S/)
  for (const p of patterns) expect(err[0]).toMatch(p)
  expect(r.stdout).toBe('')
  expect(r.code).toBe(2)
  return err[0]!
}

export function lines(text: string): string[] {
  const all = text.split('\n')
  if (all.at(-1) === '') all.pop()
  return all
}

// ------------------------------------------------------------------ unprivileged runs

/**
 * Creates a character device node for the TUN driver (10:200) with `mode`, so a
 * private mount namespace can show it at /dev/net/tun. The machine's own
 * /dev/net/tun is left as it is (it may be 0600; desktops make it 0666).
 */
export function makeTunNode(path: string, mode: '0666' | '0600'): void {
  const r = spawnSync('mknod', ['-m', mode, path, 'c', '10', '200'], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`mknod ${path} failed: ${r.error?.message ?? r.stderr}`)
}

// In a private mount namespace: show `tunNode` at /dev/net/tun, then become
// nobody (no capabilities, no groups, a login-like environment) and exec the command.
const DROP_PRIVILEGES = `mount --bind "$0" /dev/net/tun && exec setpriv --reuid=${NOBODY_UID} --regid=${NOBODY_GID} --clear-groups --reset-env "$@"`

function unprivileged(tunNode: string, cmd: string, args: readonly string[]): string[] {
  return ['--mount', '--propagation', 'private', '--', 'sh', '-c', DROP_PRIVILEGES, tunNode, cmd, ...args]
}

const AS_NOBODY = [`--reuid=${NOBODY_UID}`, `--regid=${NOBODY_GID}`, '--clear-groups']

/**
 * The namespace `ns` seen by the user nobody: exec/spawn run the command as uid
 * 65534 without capabilities (the pid stays the command's own: every step execs),
 * with `tunNode` shown at /dev/net/tun when given.
 */
export function asNobody(ns: Netns, tunNode?: string): Netns {
  const run = (cmd: string, args: readonly string[]): [string, string[]] =>
    tunNode === undefined ? ['setpriv', [...AS_NOBODY, cmd, ...args]] : ['unshare', unprivileged(tunNode, cmd, args)]
  return {
    name: ns.name,
    exec: (cmd, args = [], opts) => ns.exec(...run(cmd, args), opts),
    spawn: (cmd, args = [], opts) => ns.spawn(...run(cmd, args), opts),
    destroy: () => ns.destroy()
  }
}

/** Why nobody cannot run the CLI at `bin`, or undefined when it can. */
function nobodyCannotRun(bin: string): string | undefined {
  const r = spawnSync('setpriv', [`--reuid=${NOBODY_UID}`, `--regid=${NOBODY_GID}`, '--clear-groups', process.execPath, bin, '--version'], {
    encoding: 'utf8',
    timeout: 15_000
  })
  if (r.status === 0 && r.stdout.trim() === PACKAGE_VERSION) return undefined
  return `nobody cannot run ${bin}: ${r.error?.message ?? r.stderr.trim()}`
}

/** What the built CLI needs at run time, relative to the checkout. */
const CLI_RUNTIME = ['package.json', 'bin/tunscope.mjs', 'out/cli', 'out/renderer', 'src/native/build/Release/tunscope_tun.node', 'node_modules/commander', 'node_modules/ws']

/**
 * The CLI as nobody can run it: this checkout's own when others may read it,
 * else a world-readable copy of what it needs in a temporary folder (a fresh
 * clone under a private folder is not readable by others).
 */
export function cliForNobody(): { bin: string; cleanup(): void } | { problem: string } {
  if (!isRoot) return { problem: 'not root: cannot switch to nobody' }
  if (nobodyCannotRun(TUNSCOPE_BIN) === undefined) return { bin: TUNSCOPE_BIN, cleanup: () => {} }
  const copy = mkdtempSync(join(tmpdir(), 'tunscope-cli-'))
  for (const path of CLI_RUNTIME) cpSync(join(REPO_ROOT, path), join(copy, path), { recursive: true })
  spawnSync('chmod', ['-R', 'a+rX', copy])
  const bin = join(copy, 'bin', 'tunscope.mjs')
  const problem = nobodyCannotRun(bin)
  if (problem) {
    rmSync(copy, { recursive: true, force: true })
    return { problem }
  }
  return { bin, cleanup: () => rmSync(copy, { recursive: true, force: true }) }
}

/** uid and effective capabilities of a running process, from /proc. */
export function processCredentials(pid: number): { uid: number; capEff: bigint } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)![1])
  const capEff = BigInt(`0x${/^CapEff:\s+([0-9a-f]+)/m.exec(status)![1]}`)
  return { uid, capEff }
}

// ------------------------------------------------------------------ interfaces

export interface LinkSnapshot {
  ifindex: number
  mtu: number
  up: boolean
  kind: string | undefined
  tun: Record<string, unknown> | undefined
  ipv4: string[]
}

/** What `ip -d -j link/addr show NAME` says about an interface in `ns`, or null when it does not exist. */
export async function linkSnapshot(ns: Netns, name: string): Promise<LinkSnapshot | null> {
  const link = await ns.exec('ip', ['-d', '-j', 'link', 'show', 'dev', name])
  if (link.code !== 0) return null
  const addr = await ns.exec('ip', ['-j', '-4', 'addr', 'show', 'dev', name], { check: true })
  const l = (JSON.parse(link.stdout) as Array<Record<string, unknown>>)[0]!
  const a = (JSON.parse(addr.stdout) as Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>)[0]
  const info = l.linkinfo as { info_kind?: string; info_data?: Record<string, unknown> } | undefined
  return {
    ifindex: l.ifindex as number,
    mtu: l.mtu as number,
    up: (l.flags as string[]).includes('UP'),
    kind: info?.info_kind,
    tun: info?.info_data,
    ipv4: (a?.addr_info ?? []).map((i) => `${i.local}/${i.prefixlen}`)
  }
}

/** Names of every interface in `ns`. */
export async function interfaceNames(ns: Netns): Promise<string[]> {
  const r = await ns.exec('ip', ['-j', 'link', 'show'], { check: true })
  return (JSON.parse(r.stdout) as Array<{ ifname: string }>).map((l) => l.ifname).sort()
}

// ------------------------------------------------------------------ the wire

/** Splits a UART byte stream into records (2-byte big-endian length + frame) and lets tests wait for one. */
export class RecordReader {
  readonly frames: Buffer[] = []
  private pending: Buffer = Buffer.alloc(0)
  private readonly wakers = new Set<() => void>()

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk
    while (this.pending.length >= 2) {
      const n = this.pending.readUInt16BE(0)
      if (this.pending.length < 2 + n) break
      this.frames.push(Buffer.from(this.pending.subarray(2, 2 + n)))
      this.pending = this.pending.subarray(2 + n)
    }
    for (const wake of [...this.wakers]) wake()
  }

  /** Bytes received that do not (yet) make a whole record. */
  get partialBytes(): number {
    return this.pending.length
  }

  /** The first frame from index `from` on that matches. */
  waitFor(predicate: (frame: Buffer) => boolean, what: string, from = 0, timeoutMs = 10_000): Promise<Buffer> {
    return waitUntil(this.wakers, () => this.frames.slice(from).find(predicate), timeoutMs,
      () => new Error(`no record with ${what} within ${timeoutMs} ms; got ${this.frames.length} records: ${this.frames.map(describeFrame).join('; ')}`))
  }

}

/**
 * Resolves with the first non-undefined value `find` returns, re-checked whenever a
 * waker in `wakers` runs; rejects with `failure()` after timeoutMs.
 */
function waitUntil<T>(wakers: Set<() => void>, find: () => T | undefined, timeoutMs: number, failure: () => Error): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const hit = find()
      if (hit !== undefined) done(() => resolve(hit))
    }
    const timer = setTimeout(() => done(() => reject(failure())), timeoutMs)
    const done = (f: () => void): void => {
      clearTimeout(timer)
      wakers.delete(check)
      f()
    }
    wakers.add(check)
    check()
  })
}

export function describeFrame(f: Buffer): string {
  const mac = (at: number): string => [...f.subarray(at, at + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':')
  return `${f.length}B ${mac(6)} > ${mac(0)} type 0x${f.readUInt16BE(12).toString(16).padStart(4, '0')}`
}

// ------------------------------------------------------------------ stderr lines

/** Collects a stream's lines with the time each arrived. */
export class LineLog {
  readonly lines: Array<{ at: number; text: string }> = []
  private partial = ''
  private readonly wakers = new Set<() => void>()

  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      const at = Date.now()
      const parts = (this.partial + chunk).split('\n')
      this.partial = parts.pop()!
      for (const text of parts) this.lines.push({ at, text })
      for (const wake of [...this.wakers]) wake()
    })
  }

  get text(): string {
    return this.lines.map((l) => `${l.text}\n`).join('') + this.partial
  }

  waitFor(re: RegExp, what: string, from = 0, timeoutMs = 10_000): Promise<{ at: number; text: string; index: number }> {
    return waitUntil(this.wakers, () => {
      const index = this.lines.findIndex((l, i) => i >= from && re.test(l.text))
      return index >= 0 ? { ...this.lines[index]!, index } : undefined
    }, timeoutMs, () => new Error(`no line matching ${re} (${what}) within ${timeoutMs} ms:\n${this.text}`))
  }

}

/** Resolves with the exit code (or signal) once `child` has exited. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

/** SIGTERM to `child` if it still runs, resolving once it has exited (nothing to do for one that has). */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  await exitOf(child)
}
