/**
 * The lwIP device: test/fixtures/lwip/lwip_device.c, Debian's lwIP (liblwip-dev) behind the
 * firmware's UART wire, serving a unix socket the way QEMU's `-serial unix:PATH,server,nowait`
 * does. A user-space stack: no namespace or TAP of its own (pass `ns` to run it inside one).
 *
 *     import { requireLwipDevice, skipLwipDevice, startLwipDevice } from '../helpers/lwipDevice'
 *     describe.skipIf(skipNetns || skipLwipDevice)('…', () => {
 *       beforeAll(async () => { requireNetns(); requireLwipDevice(); device = await startLwipDevice(socketPath) })
 *       afterAll(() => device?.stop())
 *     })
 *
 * Skip-or-fail follows netns.ts: without gcc or liblwip-dev the suite is skipped with the
 * reason, or fails when TUNSCOPE_REQUIRE_NETNS=1. The binary is built once per machine into
 * the OS temp dir, keyed by a hash of the source, the compiler and lwIP's headers and library.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { netnsRequired, waitForFile, type Netns } from './netns.js'

const SOURCE = fileURLToPath(new URL('../fixtures/lwip/lwip_device.c', import.meta.url))
const LWIP_HEADERS = '/usr/include/lwip'
const LWIP_OPTS = join(LWIP_HEADERS, 'lwipopts.h')
const LWIP_LIBRARY = '/usr/lib/x86_64-linux-gnu/liblwip.so'

// ------------------------------------------------------------------ build

let built: string | undefined

/** Compiles lwip_device into the cache unless it is there; returns the binary's path. Throws the reason it cannot. */
export function buildLwipDevice(): string {
  if (built !== undefined) return built
  const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8', timeout: 10_000 })
  if (gcc.error || gcc.status !== 0) throw new Error(`gcc not runnable: ${gcc.error?.message ?? gcc.stderr} (Debian packages gcc, libc6-dev)`)
  for (const f of [LWIP_OPTS, LWIP_LIBRARY]) if (!existsSync(f)) throw new Error(`${f} not found (Debian package liblwip-dev)`)

  const hash = createHash('sha256')
  for (const part of [readFileSync(SOURCE), gcc.stdout.split('\n')[0]!, readFileSync(LWIP_OPTS), readFileSync(LWIP_LIBRARY)]) hash.update(part).update('\0')
  const cacheRoot = join(tmpdir(), 'tunscope-lwip')
  const cacheDir = join(cacheRoot, hash.digest('hex').slice(0, 20))
  const binary = join(cacheDir, 'lwip_device')
  if (!existsSync(binary)) {
    mkdirSync(cacheDir, { recursive: true })
    const tmp = `${binary}.${process.pid}.tmp`
    const cc = spawnSync('gcc', ['-O2', '-Wall', '-Werror', `-I${LWIP_HEADERS}`, '-o', tmp, SOURCE, '-llwip', '-lpthread'], { encoding: 'utf8', timeout: 60_000 })
    if (cc.error || cc.status !== 0) {
      rmSync(tmp, { force: true })
      throw new Error(`gcc ${SOURCE} failed (Debian package liblwip-dev): ${cc.error?.message ?? cc.stderr.trim()}`)
    }
    renameSync(tmp, binary) // atomic: a concurrent worker sees the whole binary or none
    // Builds from older inputs are outdated; a device still running one keeps its file.
    for (const old of readdirSync(cacheRoot)) if (join(cacheRoot, old) !== cacheDir) rmSync(join(cacheRoot, old), { recursive: true, force: true })
  }
  built = binary
  return binary
}

let problem: { reason: string | undefined } | undefined

/** Why the lwIP device cannot run here (no gcc, no liblwip-dev, the build fails), or undefined. */
export function lwipDeviceProblem(): string | undefined {
  if (problem === undefined) {
    try {
      buildLwipDevice()
      problem = { reason: undefined }
    } catch (e) {
      problem = { reason: (e as Error).message }
    }
  }
  return problem.reason
}

/** Why lwIP device suites are skipped, or undefined when they must run (available, or required). */
export const lwipDeviceSkipReason: string | undefined = netnsRequired ? undefined : lwipDeviceProblem()
/** For `describe.skipIf(skipLwipDevice)`. */
export const skipLwipDevice: boolean = lwipDeviceSkipReason !== undefined
if (skipLwipDevice) console.warn(`[lwipDevice] skipping lwIP device tests: ${lwipDeviceSkipReason} (set TUNSCOPE_REQUIRE_NETNS=1 to fail instead)`)

/** First lines of a suite's beforeAll: throws (→ the suite fails) when required but unavailable. */
export function requireLwipDevice(): void {
  const reason = lwipDeviceProblem()
  if (reason !== undefined) throw new Error(`lwIP device required (TUNSCOPE_REQUIRE_NETNS=1) but unavailable: ${reason}`)
}

// ------------------------------------------------------------------ run

export interface LwipDeviceOptions {
  /** Spawn inside this namespace; default: this process's (the socket is a file either way). */
  ns?: Netns
  ip?: string // default 192.168.100.2/24
  gw?: string // default 192.168.100.1
  mac?: string // default 02:00:00:00:00:02
  gwMac?: string // default 02:00:00:00:00:01
  /** esp32: 2-byte length (the default); qemu: 4-byte length. */
  framing?: 'esp32' | 'qemu'
  /** Default: `<socketPath>.ready`. */
  readyFile?: string
  readyTimeoutMs?: number // default 10 000
}

/** The JSON line the device prints on SIGUSR2 and at exit. */
export interface LwipDeviceCounters {
  frames_in: number
  frames_out: number
  /** Records from the bridge with length 0 or over 1500 (each also counted below). */
  refused_in: number
  refused_in_zero: number
  refused_in_too_long: number
  /** Frames lwIP built over 1500 bytes, which the device's link refused to send. */
  refused_out: number
  /** Bytes dropped by the firmware-style flush after a refused record. */
  flushed_bytes: number
  dropped_no_client: number
  /** Frames the stack had no memory or queue room for. */
  dropped_stack: number
  write_errors: number
  clients_accepted: number
}

export interface LwipDevice {
  readonly child: ChildProcess
  readonly socketPath: string
  /** Everything it wrote to stderr so far. */
  stderr(): string
  /** SIGUSR2; resolves with a counters snapshot. */
  counters(): Promise<LwipDeviceCounters>
  /** SIGTERM (SIGKILL after 5 s); resolves with the counters it printed on the way out. Idempotent. */
  stop(): Promise<LwipDeviceCounters>
}

const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null

function lastCounters(stderr: string, from = 0): LwipDeviceCounters | undefined {
  const line = stderr
    .slice(from)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop()
  return line === undefined ? undefined : (JSON.parse(line) as LwipDeviceCounters)
}

/** Starts the device serving `socketPath`; resolves once it listens (its ready file exists). */
export async function startLwipDevice(socketPath: string, o: LwipDeviceOptions = {}): Promise<LwipDevice> {
  const readyFile = o.readyFile ?? `${socketPath}.ready`
  await rm(readyFile, { force: true })
  const args = ['--socket', socketPath, '--ready-file', readyFile]
  const flags: [string, string | undefined][] = [['--ip', o.ip], ['--gw', o.gw], ['--mac', o.mac], ['--gw-mac', o.gwMac], ['--framing', o.framing]]
  for (const [flag, value] of flags) if (value !== undefined) args.push(flag, value)
  const binary = buildLwipDevice()
  const child = o.ns ? o.ns.spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  const wakers = new Set<() => void>()
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    err += s
    for (const wake of [...wakers]) wake()
  })
  const gone = new Promise<void>((resolve) => {
    child.once('close', () => resolve())
    child.once('error', (e) => {
      err += `\nspawn error: ${e.message}\n`
      resolve()
    })
  })
  try {
    await waitForFile(readyFile, o.readyTimeoutMs ?? 10_000, () => (exited(child) || err.includes('spawn error') ? `lwip_device exited early:\n${err}` : undefined))
  } catch (e) {
    child.kill('SIGKILL')
    throw e
  }

  let stopping: Promise<LwipDeviceCounters> | undefined
  const stop = async (): Promise<LwipDeviceCounters> => {
    if (!exited(child)) child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await gone
    clearTimeout(timer)
    const counters = child.exitCode === 0 ? lastCounters(err) : undefined
    if (counters === undefined) throw new Error(`lwip_device exited with ${child.exitCode ?? child.signalCode}:\n${err}`)
    return counters
  }

  return {
    child,
    socketPath,
    stderr: () => err,
    counters() {
      const since = err.length
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const counters = err.slice(since).endsWith('\n') ? lastCounters(err, since) : undefined
          if (counters) done(() => resolve(counters))
          else if (exited(child)) done(() => reject(new Error(`lwip_device exited:\n${err}`)))
        }
        const timer = setTimeout(() => done(() => reject(new Error(`lwip_device printed no counters within 5 s:\n${err}`))), 5_000)
        const done = (f: () => void): void => {
          clearTimeout(timer)
          wakers.delete(check)
          f()
        }
        wakers.add(check)
        child.kill('SIGUSR2')
      })
    },
    stop: () => (stopping ??= stop())
  }
}
