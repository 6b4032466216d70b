// Which user-mode network engine serves the link (--user-net-engine): passt, or QEMU's libslirp.
// Both take the link's addresses and forwards and serve a unix socket in QEMU's stream framing;
// left to choose, Tunscope takes passt where it is installed (faster bulk TCP, the gateway's
// MAC the firmware expects) and QEMU's libslirp otherwise (README says when to prefer which).
import { UserError } from '../errors.js'
import type { EngineProcess } from './engineProcess.js'
import type { Forward } from './forwards.js'
import { passtInstalled, startPasst } from './passtProcess.js'
import { qemuForSlirp, startSlirp, type SlirpProcess } from './slirpProcess.js'

export type UserNetEngineName = 'passt' | 'slirp'
export const USER_NET_ENGINES: readonly UserNetEngineName[] = ['passt', 'slirp']

/** What both engines are started with, besides the socket and the forwards. */
export interface UserNetAddresses {
  deviceIp: string
  prefixLength: number
  /** The gateway the engine offers; it maps to the host's loopback. */
  gatewayIp: string
  /** The gateway's MAC (--gw-mac): passt takes it; libslirp has its own. */
  gatewayMac: string
  /** The MTU passt assigns by DHCP (libslirp's DHCP assigns none). */
  mtu: number
}

export const NO_USER_NET_ENGINE =
  "No user-mode network engine is installed: install passt (sudo apt install passt, or sudo dnf install passt) or QEMU (sudo apt install qemu-system-x86), which brings libslirp."

/** Whether some engine can run here. */
export function userNetEngineInstalled(): boolean {
  return passtInstalled() || qemuForSlirp() !== null
}

/** The engine asked for, or passt where installed and else libslirp; a UserError when neither is. */
/**
 * The engine asked for, or passt where installed and else libslirp. Several devices need libslirp:
 * passt serves one guest (it follows the last MAC it heard).
 */
export function chooseUserNetEngine(asked: UserNetEngineName | undefined, severalDevices = false): UserNetEngineName {
  if (severalDevices) {
    if (asked === 'passt') throw new UserError("passt serves one device; for several, use QEMU's libslirp (--user-net-engine slirp).")
    if (qemuForSlirp() !== null) return 'slirp'
    throw new UserError("Several devices on a user-mode network need QEMU's libslirp (passt serves one device): install qemu-system-x86, or use a TUN.")
  }
  if (asked) return asked
  if (passtInstalled()) return 'passt'
  if (qemuForSlirp() !== null) return 'slirp'
  throw new UserError(NO_USER_NET_ENGINE)
}

/** How the engine is called in messages. */
export function engineTitle(engine: UserNetEngineName): string {
  return engine === 'passt' ? 'passt' : "QEMU's libslirp"
}

/** A running engine; one whose forwards change while it runs (libslirp) says how. */
export type UserNetEngineProcess = EngineProcess & { changeForwards?: SlirpProcess['changeForwards'] }

export function startUserNetEngine(engine: UserNetEngineName, addresses: UserNetAddresses, socketPath: string, forwards: readonly Forward[]): Promise<UserNetEngineProcess> {
  return engine === 'passt' ? startPasst({ ...addresses, socketPath, forwards }) : startSlirp({ ...addresses, socketPath, forwards })
}
