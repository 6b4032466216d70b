// `tunscope tun create|delete`: the privileged helper. It runs as root with
// arguments that may come from elsewhere (pkexec, whose authorization polkit
// may keep for minutes), so every argument is checked before anything else
// (tunArguments.ts), nothing passes through a shell, and it changes only
// devices it made itself: those carry its mark as their interface alias.
import { readFileSync } from 'node:fs'

import { configureInterface, getAlias, getInterface, isSystemCallError, setAlias, setPersistent, type TunKind } from '../native/index.js'
import { parseInterfaceName } from '../engine/addresses.js'
import { UserError } from '../engine/errors.js'
import { describeMismatch } from '../engine/host/tunSetup.js'
import { parseTunCreateFlags, type TunCreateFlags } from './tunArguments.js'

/** The alias `tun create` gives the devices it makes (`ip link show` prints "alias tunscope"). */
const TUNSCOPE_MARK = 'tunscope'

function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new UserError(`tun ${what} changes network devices and must run as root; run it with sudo (or pkexec).`)
}

const madeByTunscope = (name: string): boolean => getAlias(name) === TUNSCOPE_MARK

function existingKind(name: string, kind: TunKind): boolean {
  const state = getInterface(name)
  if (state === null) return false
  if (state.kind === 'other') throw new UserError(`${name} is an existing interface that is not a TUN/TAP device; choose another --name.`)
  if (!madeByTunscope(name)) throw new UserError(`${name} already exists and was not made by "tunscope tun create", so it is left as it is; choose another --name.`)
  if (state.kind !== kind) throw new UserError(`${name} already exists as a ${state.kind.toUpperCase()} device; delete it first or choose another --name.`)
  return true
}

export function tunCreate(flags: TunCreateFlags): string {
  const plan = parseTunCreateFlags(flags)
  const { name, kind, hostIp, mtu, owner } = plan
  requireRoot('create')
  const existed = existingKind(name, kind)
  const done = `${name} is ready: persistent ${kind.toUpperCase()} owned by ${owner.login}, ${hostIp.address}/${hostIp.prefixLength}, MTU ${mtu}, up.`
  // Already right (perhaps with a bridge attached, which would make changes fail): leave it be.
  if (existed && isPersistentAndOwnedBy(name, owner.uid) && describeMismatch(getInterface(name)!, plan).length === 0) return done
  try {
    setPersistent(name, kind, true, owner.uid)
    if (!existed) setAlias(name, TUNSCOPE_MARK)
    configureInterface(name, { address: hostIp.address, prefixLength: hostIp.prefixLength, mtu, up: true })
  } catch (error) {
    // Leave nothing half-made: a device this call created goes away again.
    if (!existed) {
      try {
        setPersistent(name, kind, false)
      } catch {
        // it may never have been created
      }
    }
    if (isSystemCallError(error) && error.code === 'EBUSY') throw new UserError(`${name} is in use by a running program; stop it and try again.`)
    throw new UserError(`Could not set up ${name}: ${(error as Error).message}.`)
  }
  const state = getInterface(name)
  const wrong = state ? describeMismatch(state, plan) : ['missing']
  if (wrong.length > 0) throw new UserError(`${name} was set up but reads back with ${wrong.join(', ')}; check for another program managing it.`)
  return done
}

const IFF_PERSIST = 0x0800

/** From sysfs, which `ip netns exec` mounts for the namespace it enters. */
function isPersistentAndOwnedBy(name: string, uid: number): boolean {
  try {
    const owner = Number(readFileSync(`/sys/class/net/${name}/owner`, 'utf8'))
    const flags = Number(readFileSync(`/sys/class/net/${name}/tun_flags`, 'utf8'))
    return owner === uid && (flags & IFF_PERSIST) !== 0
  } catch {
    return false
  }
}

export function tunDelete(flags: { name: string }): string {
  const name = parseInterfaceName(flags.name)
  requireRoot('delete')
  const state = getInterface(name)
  if (state === null) throw new UserError(`There is no interface named ${name}; nothing to delete.`)
  if (state.kind === 'other') throw new UserError(`${name} is not a TUN/TAP device; tunscope only deletes its own kind.`)
  if (!madeByTunscope(name)) throw new UserError(`${name} was not made by "tunscope tun create", so tunscope will not delete it; remove it with the tool that made it.`)
  try {
    setPersistent(name, state.kind, false)
  } catch (error) {
    if (isSystemCallError(error) && error.code === 'EBUSY') throw new UserError(`${name} is in use (a bridge is attached); stop the bridge first.`)
    throw error
  }
  return `${name} deleted.`
}
