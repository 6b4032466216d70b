// passt as the host end of a user-mode link: Tunscope starts it in the foreground on a unix
// socket speaking QEMU's stream framing (4-byte big-endian length + Ethernet frame), with the
// link's addresses and the port forwards, and stops it again. passt does the NAT, DHCP, DNS
// and the forwards; no privilege is needed (started as root, passt drops to user nobody).
import { spawnSync } from 'node:child_process'
import { dirname } from 'node:path'

import { UserError } from '../errors.js'
import { startEngine, type EngineProcess } from './engineProcess.js'
import { checkForwards, forwardRefused, passtForwardArgs, passtPortSpec, type Forward } from './forwards.js'

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

export type PasstProcess = EngineProcess

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

const READY_LINE = /^UNIX domain socket bound at (.+)$/
/** Lines that say nothing about why passt stopped. */
const NOISE = [/^Failed to send \d+ bytes to syslog$/, /^Don't run as root\. Changing to nobody\.\.\.$/]

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
    if (forward) return forwardRefused(forward)
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
  return startEngine({
    command: passtPath,
    args,
    ...(options.launcher ? { launcher: options.launcher } : {}),
    ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
    socketPath,
    readyLine: READY_LINE,
    noise: NOISE,
    spawnFailure: (e) => spawnFailure(e, passtPath),
    earlyExit: (lines, code, signal) => explainEarlyExit(lines, forwards, code, signal),
    noSocket: () => {
      const asNobody = process.getuid?.() === 0 ? ` (started as root, passt runs as user nobody, who must be able to write to ${dirname(socketPath)})` : ''
      return new UserError(`passt could not create its socket ${socketPath}${asNobody}; choose a socket path in a directory it can write to.`)
    },
    notReady: (last, seconds) => new UserError(`passt did not get ready within ${seconds} s; its last words were "${last}".`)
  })
}
