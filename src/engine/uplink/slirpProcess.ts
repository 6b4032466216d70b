// libslirp, QEMU's own user-mode network (`-nic user`), as the host end of a user-mode link: a
// QEMU with no machine (`-M none`) whose only job is a `-netdev user` joined by a hub to a
// `-netdev stream` server on a unix socket (QEMU's stream framing, as passt speaks it). Any
// qemu-system-* of 7.2 or later serves, so a user who runs the firmware in QEMU has this engine
// already; no privilege is needed. Compared with passt (README: "No root: user-mode networking"):
// it completes a forwarded connection on which the device speaks first and a half-closed one,
// which Debian 12's passt does not, and its forwards change while it runs (QMP's hostfwd_add and
// hostfwd_remove on its standard input), but its gateway has libslirp's own MAC (not --gw-mac)
// and its TCP is slower.
import { spawnSync } from 'node:child_process'

import { networkOf } from '../addresses.js'
import { UserError } from '../errors.js'
import { startEngine, type EngineProcess } from './engineProcess.js'
import { checkForwards, formatForward, forwardRefused, type Forward } from './forwards.js'
import { QmpClient } from './qmpClient.js'

export interface SlirpOptions {
  /** Where QEMU listens; a stale file there is removed first, a live server there is refused. */
  socketPath: string
  /** The first address libslirp's DHCP gives (the device's). */
  deviceIp: string
  prefixLength: number
  /** The gateway libslirp offers; it maps to the host's loopback. */
  gatewayIp: string
  forwards: readonly Forward[]
  /** The QEMU binary; default the first of QEMU_BINARIES on PATH. */
  qemuPath?: string
  /** Argv run in front of QEMU (tests: ['ip', 'netns', 'exec', 'NS']). */
  launcher?: readonly string[]
  /** Default 10 000 ms. */
  readyTimeoutMs?: number
}

/** Any of these runs `-M none` with libslirp; the firmware's own (xtensa, riscv32) serve as well. */
const QEMU_BINARIES = ['qemu-system-x86_64', 'qemu-system-aarch64', 'qemu-system-riscv64', 'qemu-system-arm', 'qemu-system-riscv32', 'qemu-system-xtensa', 'qemu-system-i386']

export const QEMU_NOT_INSTALLED =
  "QEMU is not installed: install Debian's or Ubuntu's qemu-system-x86 package (sudo apt install qemu-system-x86) or Fedora's qemu-system-x86-core, or put your own qemu-system-* on PATH."

/** The uid and gid QEMU runs as when Tunscope is root (Debian's nobody and nogroup). */
const NOBODY = '65534'
/** Lines that say nothing about why QEMU stopped. */
const NOISE = [/warning: hub \d+ with no nics/, /module ui-ui-\w+ not found/, /terminating on signal/]

let found: string | null | undefined

/** The first QEMU binary on PATH (asked once), or null. */
export function qemuForSlirp(): string | null {
  found ??= QEMU_BINARIES.find((name) => spawnSync(name, ['--version'], { stdio: 'ignore', timeout: 5_000 }).error === undefined) ?? null
  return found
}

let setprivHere: boolean | undefined

/**
 * In front of QEMU: setpriv, so that QEMU dies with Tunscope (it has no --one-off as passt has,
 * and would keep the forwarded ports) and, started by root, runs as nobody.
 */
function setprivLauncher(): string[] {
  setprivHere ??= spawnSync('setpriv', ['--version'], { stdio: 'ignore', timeout: 5_000 }).error === undefined
  if (!setprivHere) return []
  const asNobody = process.getuid?.() === 0 ? [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'] : []
  return ['setpriv', ...asNobody, '--pdeathsig', 'TERM', '--']
}

/** QEMU's libslirp, whose forwards change while it runs. */
export interface SlirpProcess extends EngineProcess {
  /**
   * Goes from the forwards `from` to `to` without a restart: the device's other connections carry
   * on. Rejects with one sentence, `from` back in effect, when a host port cannot be had.
   */
  changeForwards(from: readonly Forward[], to: readonly Forward[]): Promise<void>
}

/** libslirp's hostfwd rule for a forward: `tcp:ADDR:HOSTPORT-DEVICEIP:DEVICEPORT`. */
function hostfwd(forward: Forward, deviceIp: string): string {
  return `${forward.protocol}:${forward.bindAddress}:${forward.hostPort}-${deviceIp}:${forward.devicePort}`
}

/** The one sentence for QEMU stopping before it was ready, from what it printed. */
export function explainSlirpExit(lines: readonly string[], forwards: readonly Forward[], deviceIp: string, qemu: string, code: number | null): UserError {
  const all = lines.join('\n')
  const rule = /Could not set up host forwarding rule '([^']*)'/.exec(all)
  if (rule) {
    const forward = forwards.find((f) => hostfwd(f, deviceIp) === rule[1])
    if (forward) return forwardRefused(forward)
  }
  if (/netdev backend type|'stream'|Invalid parameter 'stream'/.test(all)) {
    return new UserError(`${qemu} is older than QEMU 7.2, which brought the -netdev stream this needs; install a newer QEMU or passt.`)
  }
  if (/network backend 'user' is not compiled|user: .*not compiled|unknown.*'user'/i.test(all)) {
    return new UserError(`${qemu} was built without libslirp (-netdev user); install a QEMU that has it, or passt.`)
  }
  const last = lines[lines.length - 1]
  const said = last === undefined ? 'without saying why' : `saying "${last.replace(/^[^:]*qemu-system-\w+: /, '').trim().slice(0, 200)}"`
  return new UserError(`QEMU (for its libslirp) stopped with code ${code} before it was ready, ${said}.`)
}

/**
 * Starts QEMU's libslirp for a user-mode link. Resolves once its socket exists; rejects with a
 * one-sentence UserError otherwise (QEMU is stopped then).
 */
export async function startSlirp(options: SlirpOptions): Promise<SlirpProcess> {
  const { socketPath, forwards, deviceIp } = options
  checkForwards(forwards)
  const qemu = options.qemuPath ?? qemuForSlirp()
  if (qemu === null) throw new UserError(QEMU_NOT_INSTALLED)
  const user = [
    'user,id=slirp',
    `net=${networkOf(options.gatewayIp, options.prefixLength)}`,
    `host=${options.gatewayIp}`,
    `dhcpstart=${deviceIp}`,
    // As passt is run: IPv4 only, and the device may reach the host and the internet.
    'ipv6=off',
    'restrict=off',
    ...forwards.map((f) => `hostfwd=${hostfwd(f, deviceIp)}`)
  ].join(',')
  const args = [
    // QMP on standard output: its greeting comes once every -netdev is set up, so it is the sign of
    // a QEMU that is ready (the socket file alone is not: QEMU makes it before a forward fails).
    '-M', 'none', '-nodefaults', '-no-user-config', '-display', 'none', '-qmp', 'stdio',
    '-netdev', user,
    '-netdev', 'hubport,id=slirp-port,hubid=0,netdev=slirp',
    '-netdev', `stream,id=link,server=on,addr.type=unix,addr.path=${socketPath}`,
    '-netdev', 'hubport,id=link-port,hubid=0,netdev=link'
  ]
  let qmp: QmpClient | null = null
  const engine = await startEngine({
    command: qemu,
    args,
    input: true,
    onOutputLine: (line) => qmp?.onLine(line),
    launcher: options.launcher ?? setprivLauncher(),
    socketPath,
    readyLine: /^\{"QMP": /,
    ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
    noise: NOISE,
    spawnFailure: (e) =>
      e.code === 'ENOENT' ? new UserError(QEMU_NOT_INSTALLED) : new UserError(`${qemu} could not be started (${e.code ?? e.message}); check that it is a working QEMU.`),
    earlyExit: (lines, code) => explainSlirpExit(lines, forwards, deviceIp, qemu, code),
    // QEMU listens on its socket in the background and says nothing if it cannot.
    noSocket: () => new UserError(`QEMU could not create its socket ${socketPath}; choose a socket path in a directory it can write to.`),
    notReady: (last, seconds) => new UserError(`QEMU (for its libslirp) did not get ready within ${seconds} s${last ? `; its last words were "${last}"` : ''}.`)
  })
  const client = (qmp = new QmpClient(engine.input!))
  void engine.exited.then(() => client.close())
  try {
    await client.command('qmp_capabilities')
  } catch (error) {
    await engine.stop()
    throw error
  }
  return { ...engine, changeForwards: (from, to) => changeForwards(client, deviceIp, from, to) }
}

/** One forward's rule added (true) or its host port's rule removed (false); a refusal is thrown. */
async function apply(qmp: QmpClient, deviceIp: string, forward: Forward, add: boolean): Promise<void> {
  const rule = `${forward.protocol}:${forward.bindAddress}:${forward.hostPort}`
  const said = await qmp.human(add ? `hostfwd_add slirp ${hostfwd(forward, deviceIp)}` : `hostfwd_remove slirp ${rule}`)
  if (add && said !== '') throw /Could not set up host forwarding rule/.test(said) ? forwardRefused(forward) : new UserError(`QEMU did not add the forward ${formatForward(forward)}: ${said.slice(0, 200)}.`)
}

async function changeForwards(qmp: QmpClient, deviceIp: string, from: readonly Forward[], to: readonly Forward[]): Promise<void> {
  checkForwards(to)
  const key = (f: Forward): string => hostfwd(f, deviceIp)
  const removed = from.filter((f) => !to.some((g) => key(g) === key(f)))
  const added = to.filter((f) => !from.some((g) => key(g) === key(f)))
  for (const f of removed) await apply(qmp, deviceIp, f, false)
  const done: Forward[] = []
  try {
    for (const f of added) {
      await apply(qmp, deviceIp, f, true)
      done.push(f)
    }
  } catch (error) {
    // Back to `from`: the new rules out, the old ones in (their ports were theirs a moment ago).
    for (const f of done) await apply(qmp, deviceIp, f, false)
    for (const f of removed) await apply(qmp, deviceIp, f, true).catch(() => undefined)
    throw error
  }
}
