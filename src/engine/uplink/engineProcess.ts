// A user-mode network engine as a child process (passt, or QEMU running only its libslirp): the
// one thing both do the same is start in the foreground serving a unix socket in QEMU's stream
// framing, say by a line that they are ready, and stop again. What
// each needs on its command line, and what its complaints mean, is its own file's.
import { spawn, type ChildProcess } from 'node:child_process'
import { lstat, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import type { Writable } from 'node:stream'

import { UserError } from '../errors.js'

export interface EngineProcess {
  readonly socketPath: string
  readonly pid: number
  /** Resolves with the engine's exit code (null when a signal ended it). Never rejects. */
  readonly exited: Promise<number | null>
  onExit(cb: (code: number | null, signal: NodeJS.Signals | null) => void): void
  /** SIGTERM, SIGKILL after 2 s; resolves once the engine is gone and its socket removed. Idempotent. */
  stop(): Promise<void>
  /** What the engine printed lately (the last 16 KB, without its noise). */
  output(): string
  /** The engine's standard input, when its launch asked for it (QEMU's QMP), else null. */
  readonly input: Writable | null
}

export interface EngineLaunch {
  /** The engine's program and its arguments. */
  command: string
  args: readonly string[]
  /** Argv run in front of the engine (e.g. ['ip', 'netns', 'exec', 'NS'] in tests, setpriv to drop root). */
  launcher?: readonly string[]
  socketPath: string
  /** The line the engine prints once it is set up; its socket follows at once or never. */
  readyLine: RegExp
  /** Default 10 000 ms. */
  readyTimeoutMs?: number
  /** Lines that say nothing (kept out of output() and of the reasons). */
  noise?: readonly RegExp[]
  /** Keep the engine's standard input open for commands (else it reads nothing). */
  input?: boolean
  /** Every line the engine prints on standard output, as it comes. */
  onOutputLine?: (line: string) => void
  /** The one sentence for a program that could not be run. */
  spawnFailure(error: NodeJS.ErrnoException): UserError
  /** The one sentence for an engine that stopped before it was ready, from its meaningful lines. */
  earlyExit(lines: readonly string[], code: number | null, signal: NodeJS.Signals | null): UserError
  /** The one sentence for an engine that said it was ready but made no socket. */
  noSocket(): UserError
  /** The one sentence for an engine that was not ready in time, given its last meaningful line. */
  notReady(lastLine: string, seconds: number): UserError
}

const OUTPUT_LIMIT = 16 * 1024
const STOP_GRACE_MS = 2_000

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The engine's output, line by line, keeping the last OUTPUT_LIMIT characters of what is not noise.
 * Standard output and standard error are cut into lines apart: their chunks interleave (QEMU's
 * warning on one and its QMP greeting on the other made one line of two).
 */
class OutputTail {
  private text = ''
  private readonly partial = ['', '']
  constructor(
    private readonly noise: readonly RegExp[],
    private readonly onLine: (line: string, stream: 0 | 1) => void
  ) {}

  /** A chunk from standard output (0) or standard error (1). */
  push(stream: 0 | 1, chunk: string): void {
    const lines = (this.partial[stream] + chunk).split('\n')
    this.partial[stream] = lines.pop()!.slice(-OUTPUT_LIMIT)
    for (const line of lines) this.line(line, stream)
  }

  end(): void {
    for (const stream of [0, 1] as const) {
      if (this.partial[stream]) this.line(this.partial[stream], stream)
      this.partial[stream] = ''
    }
  }

  private line(raw: string, stream: 0 | 1): void {
    const line = raw.replace(/\r$/, '')
    this.onLine(line, stream)
    if (/^\s*$/.test(line) || this.noise.some((re) => re.test(line))) return
    this.text = (this.text + line + '\n').slice(-OUTPUT_LIMIT)
  }

  get value(): string {
    return this.text
  }

  /** The lines that may say why the engine stopped. */
  meaningful(): string[] {
    return this.text.split('\n').filter((l) => l !== '')
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

/**
 * Starts the engine. Resolves once it is ready (its ready line, when it has one) and its socket
 * exists; rejects with the launch's one-sentence UserError otherwise (the engine is stopped then).
 */
export async function startEngine(launch: EngineLaunch): Promise<EngineProcess> {
  const { socketPath } = launch
  await clearSocketPath(socketPath)
  const launcher = launch.launcher ?? []
  const command = launcher.length ? launcher[0]! : launch.command
  const argv = launcher.length ? [...launcher.slice(1), launch.command, ...launch.args] : [...launch.args]
  const child: ChildProcess = spawn(command, argv, { stdio: [launch.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] })
  // A command written after the engine has gone fails here, not as an uncaught error.
  child.stdin?.on('error', () => {})

  let readyLine = false
  const waiters = new Set<() => void>()
  const wake = (): void => {
    for (const w of [...waiters]) w()
  }
  const tail = new OutputTail(launch.noise ?? [], (line, stream) => {
    if (launch.readyLine.test(line)) readyLine = true
    if (stream === 0) launch.onOutputLine?.(line)
    wake()
  })
  child.stdout!.setEncoding('utf8').on('data', (s: string) => tail.push(0, s))
  child.stderr!.setEncoding('utf8').on('data', (s: string) => tail.push(1, s))

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined
  let spawnError: NodeJS.ErrnoException | undefined
  const exitCallbacks: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = []
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      spawnError = e
      exitInfo ??= { code: null, signal: null }
      resolve(null)
      wake()
    })
    child.once('close', (code, signal) => {
      tail.end()
      exitInfo = { code, signal }
      resolve(code)
      wake()
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

  const readyTimeoutMs = launch.readyTimeoutMs ?? 10_000
  const deadline = Date.now() + readyTimeoutMs
  const early = (): UserError => (spawnError ? launch.spawnFailure(spawnError) : launch.earlyExit(tail.meaningful(), exitInfo!.code, exitInfo!.signal))
  try {
    // The ready line first (or the end of the engine), then the socket itself: passt prints its
    // line even when its bind() failed (a missing or unwritable directory), and QEMU listens in
    // the background.
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (exitInfo) return finish(() => reject(early()))
        if (readyLine) finish(resolve)
      }
      const timer = setTimeout(() => finish(() => reject(launch.notReady(tail.meaningful().pop() ?? '', readyTimeoutMs / 1000))), readyTimeoutMs)
      const finish = (f: () => void): void => {
        clearTimeout(timer)
        waiters.delete(check)
        f()
      }
      waiters.add(check)
      check()
    })
    const socketDeadline = Math.min(deadline, Date.now() + 2_000)
    while (!(await isSocket(socketPath))) {
      if (exitInfo || Date.now() >= socketDeadline) throw launch.noSocket()
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
    output: () => tail.value,
    input: child.stdin ?? null
  }
}
