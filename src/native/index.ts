// Typed face of the tunscope_tun Node-API addon (built by node-gyp at install).
import { createRequire } from 'node:module'
import { join } from 'node:path'

import { UserError } from '../engine/errors.js'
import { findPackageFile } from '../engine/packageFile.js'

export type TunKind = 'tun' | 'tap'

export interface TunDevice {
  readonly name: string
  /**
   * Packets land at pos+headroom with their length as a big-endian u16 at pos; one call per batch.
   * A read error (EBADFD once the device is deleted) stops reading and calls onError once with its errno name.
   */
  startReading(buffer: Uint8Array, headroom: number, maxPackets: number, onBatch: (count: number, end: number) => void, onError: (code: string) => void): void
  /** spans holds [start, length] pairs into buffer; returns how many the kernel took. */
  writePackets(buffer: Uint8Array, spans: Uint32Array, count: number): number
  /** errno name of the last refused write, or null. */
  readonly lastWriteError: string | null
  close(): void
}

export interface InterfaceState {
  name: string
  index: number
  mtu: number
  up: boolean
  kind: TunKind | 'other'
  driver: string
  address: string | null
  prefixLength: number | null
}

export interface InterfaceSettings {
  address?: string
  prefixLength?: number
  mtu?: number
  up?: boolean
}

interface Addon {
  TunDevice: new (name: string, tap: boolean) => TunDevice
  setPersistent(name: string, tap: boolean, persistent: boolean, ownerUid: number): void
  getInterface(name: string): InterfaceState | null
  configureInterface(name: string, settings: InterfaceSettings): void
  lookupUser(login: string): { uid: number; gid: number } | null
  setAlias(name: string, alias: string): void
  getAlias(name: string): string | null
}

/** A failed system call, as thrown by the addon. */
export interface SystemCallError extends Error {
  code: string
  errno: number
  syscall: string
}

export function isSystemCallError(e: unknown): e is SystemCallError {
  return e instanceof Error && typeof (e as SystemCallError).code === 'string' && typeof (e as SystemCallError).syscall === 'string'
}

const ADDON_PATH = join('src', 'native', 'build', 'Release', 'tunscope_tun.node')

function findAddon(): string {
  const path = findPackageFile(import.meta.url, ADDON_PATH)
  if (!path) throw new UserError(`The TUN addon is not built (${ADDON_PATH} is missing); run npm install (or npm run build:native) in the tunscope folder.`)
  return path
}

let loaded: Addon | undefined
function addon(): Addon {
  loaded ??= createRequire(import.meta.url)(findAddon()) as Addon
  return loaded
}

export function openTun(name: string, kind: TunKind): TunDevice {
  return new (addon().TunDevice)(name, kind === 'tap')
}
export const setPersistent = (name: string, kind: TunKind, persistent: boolean, ownerUid = -1): void =>
  addon().setPersistent(name, kind === 'tap', persistent, ownerUid)
export const getInterface = (name: string): InterfaceState | null => addon().getInterface(name)
export const configureInterface = (name: string, settings: InterfaceSettings): void => addon().configureInterface(name, settings)
export const lookupUser = (login: string): { uid: number; gid: number } | null => addon().lookupUser(login)
/** The interface alias (IFLA_IFALIAS, `ip link set NAME alias …`); "" removes it. Needs CAP_NET_ADMIN. */
export const setAlias = (name: string, alias: string): void => addon().setAlias(name, alias)
export const getAlias = (name: string): string | null => addon().getAlias(name)
