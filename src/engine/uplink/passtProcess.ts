// passt as the host end of a user-mode link: Tunscope starts it in the foreground on a unix
// socket speaking QEMU's stream framing (4-byte big-endian length + Ethernet frame), with the
// link's addresses and the port forwards, and stops it again. passt does the NAT, DHCP, DNS
// and the forwards; no privilege is needed (started as root, passt drops to user nobody).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { lstat, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { dirname } from 'node:path'

import { UserError } from '../errors.js'
import { checkForwards, formatForward, passtForwardArgs, passtPortSpec, type Forward } from './forwards.js'

export interface PasstOptions {
  /** Where passt listens; a stale file there is removed first, a live server there is refused. */
  socketPath: string
  /** The address passt's DHCP gives the device. */
  deviceIp: string
  prefixLength: number
  /** The gateway passt offers; it maps to the host's loopback. */
  gatewayIp: string
  /** passt's own MAC: the bridge's --gw-mac, so the firmware's static ARP entry holds. */
  gatewayMac: string
  forwards: readonly Forward[]
  /** The MTU passt assigns by DHCP; passt's default (65520) when left out. */
  mtu?: number
  /** Default 'passt', looked up on PATH. */
  passtPath?: string
  /** Argv run in front of passt, e.g. ['ip', 'netns', 'exec', 'NS'] to start it in another namespace (tests). */
  launcher?: readonly string[]
  /** Default 10 000 ms. */
  readyTimeoutMs?: number
}

export interface PasstProcess {
  readonly socketPath: string
  readonly pid: number
  /** Resolves with passt's exit code (null when a signal ended it). Never rejects. */
  readonly exited: Promise<number | null>
  onExit(cb: (code: number | null, signal: NodeJS.Signals | null) => void): void
  /** SIGTERM, SIGKILL after 2 s; resolves once passt is gone and its socket removed. Idempotent. */
  stop(): Promise<void>
  /** What passt printed lately (the last 16 KB, without its syslog complaints). */
  output(): string
}

export const PASST_NOT_INSTALLED =
  "passt is not installed: install Debian's or Ubuntu's passt package (sudo apt install passt) or Fedora's (sudo dnf install passt)."
export const PASST_NO_ROUTE =
  'passt found no network interface with a default route to reach the outside through; connect to a network first.'

let installed: boolean | undefined

/** Whether passt runs here (asked once: it is installed or not for the life of the process). */
export function passtInstalled(): boolean {
  installed ??= spawnSync('passt', ['--version'], { stdio: 'ignore', timeout: 5_000 }).error === undefined
  return installed
}

const OUTPUT_LIMIT = 16 * 1024
const STOP_GRACE_MS = 2_000
const READY_LINE = /^UNIX domain socket bound at (.+)$/
/** Lines that say nothing about why passt stopped. */
const NOISE = [/^Failed to send \d+ bytes to syslog$/, /^Don't run as root\. Changing to nobody\.\.\.$/, /^\s*$/]

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** passt's output, line by line, keeping the last OUTPUT_LIMIT characters of the meaningful lines. */
class OutputTail {
  private text = ''
  private partial = ''
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const lines = (this.partial + chunk).split('\n')
    this.partial = lines.pop()!.slice(-OUTPUT_LIMIT)
    for (const line of lines) this.line(line)
  }

  end(): void {
    if (this.partial) this.line(this.partial)
    this.partial = ''
  }

  private line(raw: string): void {
    const line = raw.replace(/\r$/, '')
    if (/^Failed to send \d+ bytes to syslog$/.test(line)) return
    this.text = (this.text + line + '\n').slice(-OUTPUT_LIMIT)
    this.onLine(line)
  }

  get value(): string {
    return this.text
  }

  /** The lines that may say why passt stopped. */
  meaningful(): string[] {
    return this.text.split('\n').filter((l) => !NOISE.some((re) => re.test(l)))
  }
}

async function isSocket(path: string): Promise<boolean> {
  return lstat(path).then(
    (s) => s.isSocket(),
    () => false
  )
}

/** Resolves true when something accepts connections on the unix socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path)
    const done = (ok: boolean): void => {
      s.destroy()
      resolve(ok)
    }
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
    s.setTimeout(1_000, () => done(false))
  })
}

/** A stale socket file is removed; a live server on the path is refused. */
async function clearSocketPath(path: string): Promise<void> {
  const existing = await lstat(path).catch(() => undefined)
  if (!existing) return
  if (existing.isSocket() && (await answers(path))) {
    throw new UserError(`Another program already serves the socket ${path}; stop it or choose another socket path.`)
  }
  await rm(path, { force: true }).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`The old file ${path} cannot be removed (${e.code ?? e.message}); remove it or choose another socket path.`)
  })
}

function spawnFailure(e: NodeJS.ErrnoException, passtPath: string): UserError {
  if (e.code === 'ENOENT') return new UserError(PASST_NOT_INSTALLED)
  if (e.code === 'EACCES') return new UserError(`${passtPath} cannot be run (permission denied); check that it is an executable passt.`)
  return new UserError(`passt could not be started (${e.code ?? e.message}); check that ${passtPath} is a working passt.`)
}

/** The one sentence for passt stopping before it was ready, from what it printed. */
export function explainEarlyExit(lines: readonly string[], forwards: readonly Forward[], code: number | null, signal: string | null): UserError {
  const all = lines.join('\n')
  if (/External interface not usable|No external routable interface/.test(all)) return new UserError(PASST_NO_ROUTE)
  if (/exec of .* failed: No such file or directory/.test(all)) return new UserError(PASST_NOT_INSTALLED)
  const bind = /Failed to bind any port for '-([tu]) ([^']*)'/.exec(all)
  if (bind) {
    const protocol = bind[1] === 't' ? 'tcp' : 'udp'
    const forward = forwards.find((f) => f.protocol === protocol && passtPortSpec(f) === bind[2])
    if (forward) {
      const local = forward.bindAddress === '127.0.0.1' || forward.bindAddress === '0.0.0.0'
      const privileged = forward.hostPort < 1024 && process.getuid?.() !== 0
      const why = privileged
        ? 'it is in use, or below 1024 and so reserved for root'
        : local
          ? 'it is already in use'
          : `it is already in use or ${forward.bindAddress} is not an address of this machine`
      return new UserError(
        `${protocol.toUpperCase()} port ${forward.hostPort} on ${forward.bindAddress} cannot be forwarded (--forward ${formatForward(forward)}): ${why}; choose another host port.`
      )
    }
    return new UserError(`passt could not listen on the forwarded ${protocol.toUpperCase()} port ${bind[2]}: it is already in use; choose another host port.`)
  }
  const getopt = lines.find((l) => /^passt(\.avx2)?: /.test(l))
  const usage = lines.findIndex((l) => /^Usage: /.test(l))
  const last = getopt ?? (usage > 0 ? lines[usage - 1] : usage === 0 ? 'it printed its usage' : lines[lines.length - 1])
  const how = code !== null ? `with code ${code}` : `on ${signal ?? 'a signal'}`
  const said = last === undefined ? 'without saying why' : `saying "${last.trim().replace(/[."]+$/, '').slice(0, 200)}"`
  return new UserError(`passt stopped ${how} before it was ready, ${said}.`)
}

/**
 * Starts passt for a user-mode link. Resolves once passt printed that its socket is bound and
 * the socket exists; rejects with a one-sentence UserError otherwise (passt is stopped then).
 */
export async function startPasst(options: PasstOptions): Promise<PasstProcess> {
  const { socketPath, forwards } = options
  checkForwards(forwards)
  const passtPath = options.passtPath ?? 'passt'
  const args = [
    // One client: passt quits when the bridge's connection ends, so it cannot outlive a
    // Tunscope that was killed (holding the forwarded ports) or be reached by another program.
    '-f', '-e', '-4', '--one-off',
    '-s', socketPath,
    '-a', options.deviceIp,
    '-n', String(options.prefixLength),
    '-g', options.gatewayIp,
    '-M', options.gatewayMac
  ]
  if (options.mtu !== undefined) args.push('-m', String(options.mtu))
  for (const f of forwards) args.push(...passtForwardArgs(f))
  await clearSocketPath(socketPath)

  const launcher = options.launcher ?? []
  const command = launcher.length ? launcher[0]! : passtPath
  const argv = launcher.length ? [...launcher.slice(1), passtPath, ...args] : args
  const child: ChildProcess = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] })

  let readyLine = false
  const lineWaiters = new Set<() => void>()
  const tail = new OutputTail((line) => {
    if (READY_LINE.test(line)) readyLine = true
    for (const w of [...lineWaiters]) w()
  })
  child.stdout!.setEncoding('utf8').on('data', (s: string) => tail.push(s))
  child.stderr!.setEncoding('utf8').on('data', (s: string) => tail.push(s))

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined
  let spawnError: NodeJS.ErrnoException | undefined
  const exitCallbacks: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = []
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      spawnError = e
      exitInfo ??= { code: null, signal: null }
      resolve(null)
      for (const w of [...lineWaiters]) w()
    })
    child.once('close', (code, signal) => {
      tail.end()
      exitInfo = { code, signal }
      resolve(code)
      for (const w of [...lineWaiters]) w()
      for (const cb of exitCallbacks) cb(code, signal)
    })
  })

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exitInfo && !spawnError) {
        child.kill('SIGTERM')
        const gone = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)])
        if (!gone) {
          child.kill('SIGKILL')
          await exited
        }
      }
      await rm(socketPath, { force: true }).catch(() => undefined)
    })()
    return stopping
  }

  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000
  const deadline = Date.now() + readyTimeoutMs
  try {
    // Wait for the ready line (or the end of passt), then for the socket itself: this passt
    // prints the line even when its bind() failed (a missing or unwritable directory).
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (spawnError) return finish(() => reject(spawnFailure(spawnError!, passtPath)))
        if (exitInfo) return finish(() => reject(explainEarlyExit(tail.meaningful(), forwards, exitInfo!.code, exitInfo!.signal)))
        if (readyLine) finish(resolve)
      }
      const timer = setTimeout(
        () => finish(() => reject(new UserError(`passt did not get ready within ${readyTimeoutMs / 1000} s; its last words were "${tail.meaningful().pop() ?? ''}".`))),
        readyTimeoutMs
      )
      const finish = (f: () => void): void => {
        clearTimeout(timer)
        lineWaiters.delete(check)
        f()
      }
      lineWaiters.add(check)
      check()
    })
    const socketDeadline = Math.min(deadline, Date.now() + 2_000)
    while (!(await isSocket(socketPath))) {
      // With --one-off, a passt whose bind() failed quits at once, its ready line said.
      if (exitInfo && !readyLine) throw explainEarlyExit(tail.meaningful(), forwards, exitInfo.code, exitInfo.signal)
      if (exitInfo || Date.now() >= socketDeadline) {
        const asNobody = process.getuid?.() === 0 ? ` (started as root, passt runs as user nobody, who must be able to write to ${dirname(socketPath)})` : ''
        throw new UserError(`passt could not create its socket ${socketPath}${asNobody}; choose a socket path in a directory it can write to.`)
      }
      await sleep(10)
    }
  } catch (e) {
    await stop()
    throw e
  }

  return {
    socketPath,
    pid: child.pid!,
    exited,
    onExit(cb) {
      if (exitInfo) queueMicrotask(() => cb(exitInfo!.code, exitInfo!.signal))
      else exitCallbacks.push(cb)
    },
    stop,
    output: () => tail.value
  }
}
