/**
 * Network-namespace helpers for end-to-end tests.
 *
 * Skip-or-fail rule (use it in every test file that needs namespaces):
 *
 *     import { skipNetns, requireNetns } from '../helpers/netns'
 *     describe.skipIf(skipNetns)('bridge e2e', () => {
 *       beforeAll(() => { requireNetns() })   // first line of the first hook
 *       afterAll(() => destroyAll())
 *       ...
 *     })
 *
 * - capability present                     → skipNetns = false, requireNetns() is a no-op: tests run;
 * - capability missing                     → skipNetns = true: the suite is skipped (reason printed once);
 * - missing and TUNSCOPE_REQUIRE_NETNS=1   → skipNetns = false, requireNetns() throws the reason:
 *                                            every test of the suite FAILS (CI sets the variable).
 *
 * Everything these helpers create lives in namespaces they create; nothing
 * touches the root namespace's interfaces, addresses or routes.
 */
import { spawn as spawnChild, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { existsSync, constants as fsConstants, accessSync } from 'node:fs'
import { access, readFile, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

// ------------------------------------------------------------------ capability

export type NetnsCapability = { ok: true } | { ok: false; reason: string }

let capabilityCache: NetnsCapability | undefined
let pythonCache: string | undefined

/** The real python3 executable (resolved once, so a pyenv shim does not sit between us and the signals). */
export function pythonExecutable(): string {
  if (pythonCache !== undefined) return pythonCache
  const candidate = process.env.TUNSCOPE_PYTHON ?? 'python3'
  const r = spawnSync(candidate, ['-c', 'import sys; assert sys.version_info >= (3, 8); print(sys.executable)'], {
    encoding: 'utf8',
    timeout: 10_000
  })
  const exe = r.status === 0 ? r.stdout.trim() : ''
  if (!exe) throw new Error(`${candidate} (>= 3.8) not usable: ${r.error?.message ?? r.stderr.trim()}`)
  pythonCache = exe
  return exe
}

function probe(): NetnsCapability {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (platform is ${process.platform})` }
  if (process.getuid?.() !== 0) return { ok: false, reason: `not root (uid ${process.getuid?.()}); ip netns needs root` }
  const v = spawnSync('ip', ['-V'], { encoding: 'utf8', timeout: 5_000 })
  if (v.error || v.status !== 0) return { ok: false, reason: `iproute2 'ip' not runnable: ${v.error?.message ?? v.stderr}` }
  if (!existsSync('/dev/net/tun')) return { ok: false, reason: '/dev/net/tun does not exist' }
  try {
    accessSync('/dev/net/tun', fsConstants.R_OK | fsConstants.W_OK)
  } catch (e) {
    return { ok: false, reason: `/dev/net/tun not read/writable: ${(e as Error).message}` }
  }
  try {
    pythonExecutable()
  } catch (e) {
    return { ok: false, reason: `python3 needed by test/fixtures/uart_device.py: ${(e as Error).message}` }
  }
  const ns = `tsprobe-${process.pid}-${Date.now() % 100_000}`
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8', timeout: 10_000 })
  if (add.error || add.status !== 0) {
    return { ok: false, reason: `'ip netns add' failed: ${(add.error?.message ?? add.stderr).trim()}` }
  }
  try {
    const tap = spawnSync('ip', ['netns', 'exec', ns, 'ip', 'tuntap', 'add', 'dev', 'probe0', 'mode', 'tap'], {
      encoding: 'utf8',
      timeout: 10_000
    })
    if (tap.error || tap.status !== 0) {
      return { ok: false, reason: `cannot create a TAP inside a namespace: ${(tap.error?.message ?? tap.stderr).trim()}` }
    }
    return { ok: true }
  } finally {
    // deleting the namespace also deletes the persistent probe TAP inside it
    spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 })
  }
}

/** Can this process create network namespaces with TAP devices and run the fixture? Probed once, cached. */
export function canUseNetns(): NetnsCapability {
  capabilityCache ??= probe()
  return capabilityCache
}

/** TUNSCOPE_REQUIRE_NETNS=1: a missing capability is a test failure, not a skip. */
export const netnsRequired: boolean = process.env.TUNSCOPE_REQUIRE_NETNS === '1'
export const netnsCapability: NetnsCapability = canUseNetns()
export const netnsAvailable: boolean = netnsCapability.ok

/** The reason to skip a namespace suite, or undefined when it must run (available, or required). */
export function netnsSkipReason(): string | undefined {
  if (netnsCapability.ok || netnsRequired) return undefined
  return netnsCapability.reason
}

/** For `describe.skipIf(skipNetns)`: true only when the capability is missing and not required. */
export const skipNetns: boolean = netnsSkipReason() !== undefined
if (skipNetns) {
  console.warn(`[netns] skipping network-namespace tests: ${netnsSkipReason()} (set TUNSCOPE_REQUIRE_NETNS=1 to fail instead)`)
}

/** Call first in beforeAll of a namespace suite: throws (→ the suite fails) when required but unavailable. */
export function requireNetns(): void {
  if (!netnsCapability.ok) {
    throw new Error(`network namespaces required (TUNSCOPE_REQUIRE_NETNS=1) but unavailable: ${netnsCapability.reason}`)
  }
}

// ------------------------------------------------------------------ namespaces

export interface ExecOptions {
  /** Kill the process (SIGKILL) and reject after this long. Default 15 000 ms. */
  timeoutMs?: number
  /** Written to stdin, which is then closed. */
  input?: string | Buffer
  /** Reject when the exit code is not 0. Default false. */
  check?: boolean
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export interface ExecResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface Netns {
  readonly name: string
  /** Run `cmd args` inside the namespace (`ip netns exec NAME cmd ...`, no shell); resolves when it exits. */
  exec(cmd: string, args?: readonly string[], opts?: ExecOptions): Promise<ExecResult>
  /** Start a long-running process inside the namespace; destroy() kills it. The pid is `cmd`'s own (ip execs). */
  spawn(cmd: string, args?: readonly string[], opts?: SpawnOptions): ChildProcess
  /** Kill every process spawned/exec'd here (SIGTERM, then SIGKILL) and anything else left inside, then `ip netns del`. Idempotent. */
  destroy(): Promise<void>
}

const live = new Set<NetnsImpl>()
let nsCounter = 0

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true)
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.off('exit', onExit)
      resolve(false)
    }, timeoutMs)
    const onExit = (): void => {
      clearTimeout(t)
      resolve(true)
    }
    child.once('exit', onExit)
  })
}

function runIp(args: readonly string[], timeoutMs = 15_000): Promise<ExecResult> {
  return execFile('ip', args, { timeoutMs })
}

/** Runs a command in this process's namespaces (no shell); rejects on timeout, or on a non-zero exit with `check`. */
export function execFile(
  cmd: string,
  args: readonly string[],
  opts: ExecOptions = {},
  track?: (c: ChildProcess) => void
): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 15_000
  return new Promise((resolve, reject) => {
    const child = spawnChild(cmd, [...args], {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd
    })
    track?.(child)
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout?.on('data', (b: Buffer) => out.push(b))
    child.stderr?.on('data', (b: Buffer) => err.push(b))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const res: ExecResult = {
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8')
      }
      const what = [cmd, ...args].join(' ')
      if (timedOut) reject(new Error(`timed out after ${timeoutMs} ms: ${what}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`))
      else if (opts.check && code !== 0) reject(new Error(`exit ${code ?? signal}: ${what}\n${res.stderr.trim()}`))
      else resolve(res)
    })
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {}) // the process may exit before reading
      child.stdin.end(opts.input)
    }
  })
}

class NetnsImpl implements Netns {
  private readonly children = new Set<ChildProcess>()
  private destroying: Promise<void> | undefined

  constructor(readonly name: string) {}

  private track(child: ChildProcess): void {
    this.children.add(child)
    child.once('exit', () => this.children.delete(child))
    child.once('error', () => this.children.delete(child))
  }

  private assertLive(): void {
    if (this.destroying) throw new Error(`namespace ${this.name} is destroyed`)
  }

  exec(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    this.assertLive()
    return execFile('ip', ['netns', 'exec', this.name, cmd, ...args], opts, (c) => this.track(c))
  }

  spawn(cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ChildProcess {
    this.assertLive()
    const child = spawnChild('ip', ['netns', 'exec', this.name, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...opts
    })
    this.track(child)
    return child
  }

  /** Synchronous last-resort cleanup (the worker is exiting or being terminated). */
  destroySync(): void {
    const kids = [...this.children].filter((c) => !exited(c))
    for (const c of kids) c.kill('SIGTERM') // the fixture unlinks its socket on SIGTERM
    if (kids.length) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300)
    for (const c of kids) c.kill('SIGKILL') // harmless if already gone
    const pids = spawnSync('ip', ['netns', 'pids', this.name], { encoding: 'utf8', timeout: 5_000 })
    for (const line of pids.stdout?.split('\n') ?? []) {
      const pid = Number(line.trim())
      if (Number.isInteger(pid) && pid > 1 && pid !== process.pid) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          /* already gone */
        }
      }
    }
    spawnSync('ip', ['netns', 'del', this.name], { timeout: 5_000 })
    live.delete(this)
  }

  destroy(): Promise<void> {
    this.destroying ??= this.doDestroy().finally(() => live.delete(this))
    return this.destroying
  }

  private async doDestroy(): Promise<void> {
    const kids = [...this.children].filter((c) => !exited(c))
    for (const c of kids) c.kill('SIGTERM')
    const ok = await Promise.all(kids.map((c) => waitExit(c, 3_000)))
    kids.forEach((c, i) => {
      if (!ok[i]) c.kill('SIGKILL')
    })
    await Promise.all(kids.map((c, i) => (ok[i] ? Promise.resolve(true) : waitExit(c, 2_000))))
    // Anything else still inside (e.g. started by a test's own exec that outlived it) is ours too.
    const pids = await runIp(['netns', 'pids', this.name]).catch(() => undefined)
    for (const line of pids?.stdout.split('\n') ?? []) {
      const pid = Number(line.trim())
      if (Number.isInteger(pid) && pid > 1 && pid !== process.pid) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          /* already gone */
        }
      }
    }
    const del = await runIp(['netns', 'del', this.name])
    if (del.code !== 0 && !/No such file|not found/i.test(del.stderr)) {
      throw new Error(`ip netns del ${this.name} failed: ${del.stderr.trim()}`)
    }
  }
}

// Safety net for suites that fail before (or without) destroyAll(): vitest's fork pool ends a
// worker with SIGTERM, which skips 'exit' handlers, so both are covered. SIGTERM is re-raised
// afterwards when nobody else listens for it, keeping its default effect.
function destroyAllSync(): void {
  for (const ns of [...live]) ns.destroySync()
}
process.once('exit', destroyAllSync)
process.once('SIGTERM', () => {
  destroyAllSync()
  if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM')
})

/** Create a namespace named `<prefix><pid>-<n>` (prefix sanitized) with `lo` up. */
export async function createNamespace(prefix: string): Promise<Netns> {
  const clean = prefix.replace(/[^A-Za-z0-9_-]/g, '') || 'ts'
  const name = `${clean}${process.pid}-${++nsCounter}`
  await runIp(['netns', 'add', name]).then((r) => {
    if (r.code !== 0) throw new Error(`ip netns add ${name} failed: ${r.stderr.trim()}`)
  })
  const ns = new NetnsImpl(name)
  live.add(ns)
  try {
    await ns.exec('ip', ['link', 'set', 'dev', 'lo', 'up'], { check: true })
  } catch (e) {
    await ns.destroy()
    throw e
  }
  return ns
}

/** Destroy every namespace created by this module that is still alive (for afterAll). */
export async function destroyAll(): Promise<void> {
  const results = await Promise.allSettled([...live].map((ns) => ns.destroy()))
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed.length) throw new AggregateError(failed.map((f) => f.reason), 'destroyAll: some namespaces failed to delete')
}

// ------------------------------------------------------------------ misc

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Resolve once `path` exists; reject after timeoutMs (or as soon as `abort` returns a reason). */
export async function waitForFile(path: string, timeoutMs: number, abort?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await access(path)
      return
    } catch {
      /* not yet */
    }
    const why = abort?.()
    if (why !== undefined) throw new Error(`gave up waiting for ${path}: ${why}`)
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${path}`)
    await sleep(20)
  }
}

// ------------------------------------------------------------------ UART device fixture

export const UART_DEVICE_SCRIPT: string = fileURLToPath(new URL('../fixtures/uart_device.py', import.meta.url))

export interface UartDeviceOptions {
  tap?: string // default tap0
  ip?: string // default 192.168.100.2/24
  mac?: string // default 02:00:00:00:00:02
  mtu?: number // default 1486
  maxFrame?: number // default 1500
  prefixBytes?: 2 | 4 // default 2 (4: QEMU's stream framing)
  /** esp32 (2-byte length, the default), qemu (4-byte length) or slip (RFC 1055, Ethernet payload); do not combine with prefixBytes. */
  framing?: 'esp32' | 'qemu' | 'slip'
  junkOnUsr1?: boolean // default true
  junkSeed?: number
  ipv6?: boolean // default false (IPv6 disabled on the TAP)
  /** Default: `<socketPath>.ready`. */
  readyFile?: string
  readyTimeoutMs?: number // default 10 000
}

/** The fixture's counters (the JSON line it prints on SIGUSR2 and at exit). */
export interface UartDeviceCounters {
  records_to_host: number
  bytes_to_host: number
  records_to_device: number
  bytes_to_device: number
  dropped_no_client: number
  dropped_oversize: number
  unsent_bytes_dropped: number
  bad_length_flushes: number
  bad_length_zero: number
  bad_length_too_long: number
  flushed_bytes: number
  startup_discarded_bytes: number
  tap_write_errors: number
  junk_bursts: number
  junk_bytes: number
  junk_skipped_no_client: number
  clients_accepted: number
  /** The frames alone: no length prefix, no SLIP escapes or ENDs. */
  frame_bytes_to_host: number
  frame_bytes_to_device: number
  /** --framing slip: bytes escaping added (one per END or ESC inside a frame). */
  slip_escapes_to_host: number
  slip_escapes_to_device: number
  /** --framing slip: ENDs that closed an empty slot and went to no frame. */
  slip_separator_bytes: number
  slip_bad_escapes: number
  slip_too_long: number
  slip_runts: number
  /** --framing slip: wire bytes of the slots dropped for the three reasons above. */
  slip_bad_bytes: number
}

export interface UartDevice {
  readonly netns: Netns
  readonly socketPath: string
  /** pid of the current python process. */
  readonly pid: number
  /** Wall-clock ms (Date.now() scale) until which the device discards UART input. */
  readonly startupDiscardUntil: number
  /** Everything the current process wrote to stderr so far. */
  readonly stderr: string
  /** SIGUSR1; resolves with the number of junk bytes injected (0 when no client was connected). */
  injectJunk(): Promise<number>
  /** SIGUSR2; resolves with a counters snapshot. */
  counters(): Promise<UartDeviceCounters>
  /** Resolves when a stderr line (of the current process, written after `sinceOffset`, default 0) matches. */
  waitForStderr(re: RegExp, timeoutMs?: number, sinceOffset?: number): Promise<string>
  /** SIGTERM; resolves with the final counters. SIGKILL + reject if it does not exit within 5 s. */
  stop(): Promise<UartDeviceCounters>
  /** stop() then start again with the same options (new TAP, fresh kernel state); resolves with the old counters. */
  restart(): Promise<UartDeviceCounters>
}

class UartDeviceImpl implements UartDevice {
  private child!: ChildProcess
  private err = ''
  private lineListeners = new Set<() => void>()
  private exitPromise!: Promise<void>
  private readyInfo!: { pid: number; startupDiscardUntil: number }
  private signalQueue: Promise<unknown> = Promise.resolve()

  constructor(
    readonly netns: Netns,
    readonly socketPath: string,
    private readonly opts: UartDeviceOptions
  ) {}

  get pid(): number {
    return this.readyInfo.pid
  }
  get startupDiscardUntil(): number {
    return this.readyInfo.startupDiscardUntil
  }
  get stderr(): string {
    return this.err
  }

  private args(readyFile: string): string[] {
    const o = this.opts
    const a = [UART_DEVICE_SCRIPT, '--socket', this.socketPath, '--tap', o.tap ?? 'tap0', '--ready-file', readyFile]
    if (o.ip !== undefined) a.push('--ip', o.ip)
    if (o.mac !== undefined) a.push('--mac', o.mac)
    if (o.mtu !== undefined) a.push('--mtu', String(o.mtu))
    if (o.maxFrame !== undefined) a.push('--max-frame', String(o.maxFrame))
    if (o.prefixBytes !== undefined) a.push('--prefix-bytes', String(o.prefixBytes))
    if (o.framing !== undefined) a.push('--framing', o.framing)
    if (o.junkOnUsr1 ?? true) a.push('--junk-on-usr1')
    if (o.junkSeed !== undefined) a.push('--junk-seed', String(o.junkSeed))
    if (o.ipv6) a.push('--ipv6')
    a.push('--exit-with-parent') // never outlive the test worker, even on SIGKILL
    return a
  }

  async start(): Promise<void> {
    const readyFile = this.opts.readyFile ?? `${this.socketPath}.ready`
    await rm(readyFile, { force: true })
    this.err = ''
    const child = this.netns.spawn(pythonExecutable(), this.args(readyFile), { stdio: ['ignore', 'ignore', 'pipe'] })
    this.child = child
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (s: string) => {
      this.err += s
      for (const l of [...this.lineListeners]) l()
    })
    this.exitPromise = new Promise<void>((resolve) => {
      child.once('close', () => {
        for (const l of [...this.lineListeners]) l()
        resolve()
      })
      child.once('error', (e) => {
        this.err += `\nspawn error: ${e.message}\n`
        resolve()
      })
    })
    try {
      await waitForFile(readyFile, this.opts.readyTimeoutMs ?? 10_000, () =>
        exited(child) || child.pid === undefined ? `uart_device exited early:\n${this.err}` : undefined
      )
      this.readyInfo = JSON.parse(await readFile(readyFile, 'utf8')) as { pid: number; startupDiscardUntil: number }
    } catch (e) {
      child.kill('SIGKILL')
      throw e
    }
  }

  waitForStderr(re: RegExp, timeoutMs = 5_000, sinceOffset = 0): Promise<string> {
    const child = this.child
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const lines = this.err.slice(sinceOffset).split('\n')
        if (!this.err.endsWith('\n')) lines.pop() // incomplete last line
        const hit = lines.find((l) => re.test(l))
        if (hit !== undefined) return done(() => resolve(hit))
        if (exited(child)) done(() => reject(new Error(`uart_device exited while waiting for ${re}:\n${this.err}`)))
      }
      const timer = setTimeout(() => done(() => reject(new Error(`no stderr line matching ${re} within ${timeoutMs} ms:\n${this.err}`))), timeoutMs)
      const done = (f: () => void): void => {
        clearTimeout(timer)
        this.lineListeners.delete(check)
        f()
      }
      this.lineListeners.add(check)
      check()
    })
  }

  /** Signals that expect a stderr answer are serialized, so each waits for its own answer. */
  private signalAndWait(sig: NodeJS.Signals, re: RegExp): Promise<string> {
    const run = async (): Promise<string> => {
      const since = this.err.length
      const p = this.waitForStderr(re, 5_000, since)
      this.child.kill(sig)
      return p
    }
    const p = this.signalQueue.then(run, run)
    this.signalQueue = p.catch(() => undefined)
    return p
  }

  async injectJunk(): Promise<number> {
    const line = await this.signalAndWait('SIGUSR1', /junk #\d+ injected \d+ bytes|junk: skipped/)
    const m = /injected (\d+) bytes/.exec(line)
    return m ? Number(m[1]) : 0
  }

  async counters(): Promise<UartDeviceCounters> {
    return JSON.parse(await this.signalAndWait('SIGUSR2', /^\{.*\}$/)) as UartDeviceCounters
  }

  async stop(): Promise<UartDeviceCounters> {
    const child = this.child
    if (!exited(child)) child.kill('SIGTERM')
    const timeout = sleep(5_000).then(() => 'timeout' as const)
    if ((await Promise.race([this.exitPromise, timeout])) === 'timeout') {
      child.kill('SIGKILL')
      await this.exitPromise
      throw new Error(`uart_device did not exit on SIGTERM within 5 s:\n${this.err}`)
    }
    const last = this.err
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop()
    if (child.exitCode !== 0 || last === undefined) {
      throw new Error(`uart_device exited with ${child.exitCode ?? child.signalCode}:\n${this.err}`)
    }
    return JSON.parse(last) as UartDeviceCounters
  }

  async restart(): Promise<UartDeviceCounters> {
    const c = await this.stop()
    await this.start()
    return c
  }
}

/**
 * Spawn test/fixtures/uart_device.py inside `netns`, serving `socketPath` (QEMU-style server).
 * Resolves once the TAP is configured and the socket listens. The netns owns the process:
 * netns.destroy() kills it if the test did not stop() it.
 */
export async function startUartDevice(netns: Netns, socketPath: string, opts: UartDeviceOptions = {}): Promise<UartDevice> {
  const dev = new UartDeviceImpl(netns, socketPath, opts)
  await dev.start()
  return dev
}
