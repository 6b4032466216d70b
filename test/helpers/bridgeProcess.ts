// Runs `tunscope bridge --json` inside a network namespace and follows its
// once-a-second stats on standard output.
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import type { BridgeStats } from '../../src/engine/bridge.js'
import type { CountersSnapshot } from '../../src/engine/counters.js'
import type { Netns } from './netns.js'

export const TUNSCOPE_BIN = fileURLToPath(new URL('../../bin/tunscope.mjs', import.meta.url))
export const NET_TOOL = fileURLToPath(new URL('../fixtures/net_tool.mjs', import.meta.url))

export interface BridgeProcess {
  readonly child: ChildProcess
  readonly stderr: () => string
  latest(): BridgeStats | undefined
  /** Resolves with the first stats line that satisfies `predicate`. */
  waitFor(predicate: (stats: BridgeStats) => boolean, timeoutMs?: number, what?: string): Promise<BridgeStats>
  /** SIGINT; resolves with the exit code and the final counters it printed. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; counters: CountersSnapshot | undefined }>
}

/** `bin`: another copy of the CLI (e.g. one the unprivileged user can read). */
export function startBridge(netns: Netns, args: string[], bin = TUNSCOPE_BIN): BridgeProcess {
  const child = netns.spawn(process.execPath, [bin, 'bridge', '--json', ...args])
  let stdout = ''
  let stderr = ''
  let latest: BridgeStats | undefined
  let final: CountersSnapshot | undefined
  const waiters = new Set<() => void>()
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    let newline
    while ((newline = stdout.indexOf('\n')) >= 0) {
      const line = stdout.slice(0, newline)
      stdout = stdout.slice(newline + 1)
      const parsed = JSON.parse(line)
      if (parsed.final) final = parsed.counters
      else latest = parsed
      for (const wake of waiters) wake()
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))

  return {
    child,
    stderr: () => stderr,
    latest: () => latest,
    waitFor(predicate, timeoutMs = 10_000, what = 'bridge stats') {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (latest && predicate(latest)) {
            cleanup()
            resolve(latest)
          }
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`timed out waiting for ${what}; last stats ${JSON.stringify(latest?.counters)}; stderr: ${stderr}`))
        }, timeoutMs)
        const cleanup = (): void => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        void exited.then(() => {
          cleanup()
          reject(new Error(`the bridge exited while waiting for ${what}: ${stderr}`))
        })
        check()
      })
    },
    async stop(signal = 'SIGINT') {
      child.kill(signal)
      const code = await exited
      return { code, counters: final }
    }
  }
}

export interface DemoProcess {
  readonly child: ChildProcess
  /** Everything it has written to stderr so far. */
  said(): string
}

/** `tunscope demo --socket SOCKET ARGS` in `netns`; resolves once it serves its socket, rejects if it exits first. */
export async function startDemoDevice(netns: Netns, socket: string, args: string[]): Promise<DemoProcess> {
  const child = netns.spawn(process.execPath, [TUNSCOPE_BIN, 'demo', '--socket', socket, ...args])
  let said = ''
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      said += d.toString()
      if (said.includes('waiting for a bridge')) resolve()
    })
    child.on('exit', (code) => reject(new Error(`tunscope demo exited with ${code}: ${said}`)))
  })
  return { child, said: () => said }
}
