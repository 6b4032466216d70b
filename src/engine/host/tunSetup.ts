// Gets the host's TUN/TAP ready without ever running as root unless it is:
// create and configure it when allowed, otherwise attach to an existing one
// the user owns. An existing device that is already right is left as it is.
import { userInfo } from 'node:os'

import { configureInterface, getInterface, isSystemCallError, openTun, type InterfaceState, type TunDevice, type TunKind } from '../../native/index.js'
import type { Ipv4Cidr } from '../addresses.js'
import { UserError } from '../errors.js'

export interface TunPlan {
  name: string
  kind: TunKind
  hostIp: Ipv4Cidr
  mtu: number
}

export interface HostTun {
  device: TunDevice
  /** The bridge made the device (it vanishes when the bridge closes it). */
  created: boolean
  /** The bridge changed the device's address, MTU or state. */
  configured: boolean
}

/** Only root can fix this: `tun create` with this plan would (the app offers to run it through pkexec). */
export class TunPermissionError extends UserError {
  constructor(message: string, readonly plan: TunPlan) {
    super(message)
  }
}

/** The one command that prepares the device for an unprivileged bridge. */
export function tunCreateCommand(plan: TunPlan): string {
  const user = process.env.SUDO_USER ?? userInfo().username
  const tap = plan.kind === 'tap' ? ' --tap' : ''
  return `sudo tunscope tun create --name ${plan.name}${tap} --user ${user} --host-ip ${plan.hostIp.address}/${plan.hostIp.prefixLength} --mtu ${plan.mtu}`
}

export function describeMismatch(state: InterfaceState, plan: TunPlan): string[] {
  const wrong: string[] = []
  if (state.address !== plan.hostIp.address || state.prefixLength !== plan.hostIp.prefixLength) {
    wrong.push(`address ${state.address ? `${state.address}/${state.prefixLength}` : 'none'} instead of ${plan.hostIp.address}/${plan.hostIp.prefixLength}`)
  }
  if (state.mtu !== plan.mtu) wrong.push(`MTU ${state.mtu} instead of ${plan.mtu}`)
  if (!state.up) wrong.push('down instead of up')
  return wrong
}

export function openHostTun(plan: TunPlan): HostTun {
  const existing = getInterface(plan.name)
  if (existing && existing.kind === 'other') {
    throw new UserError(`${plan.name} is an existing interface that is not a TUN/TAP device; choose another name with --tun.`)
  }
  if (existing && existing.kind !== plan.kind) {
    throw new UserError(`${plan.name} is a ${existing.kind.toUpperCase()} device but a ${plan.kind.toUpperCase()} is wanted; choose another name with --tun${plan.kind === 'tun' ? ' or add --tap' : ''}.`)
  }
  const device = attach(plan, existing !== null)
  const state = getInterface(plan.name)!
  const wrong = describeMismatch(state, plan)
  if (wrong.length === 0) return { device, created: existing === null, configured: false }
  try {
    configureInterface(plan.name, { address: plan.hostIp.address, prefixLength: plan.hostIp.prefixLength, mtu: plan.mtu, up: true })
  } catch (error) {
    device.close()
    if (isSystemCallError(error) && error.code === 'EPERM') {
      throw new TunPermissionError(`${plan.name} has ${wrong.join(', ')}, and changing that needs root: run "${tunCreateCommand(plan)}" once, then start the bridge again.`, plan)
    }
    throw new UserError(`Could not configure ${plan.name} (${(error as Error).message}); check --host-ip and --mtu.`)
  }
  return { device, created: existing === null, configured: true }
}

function attach(plan: TunPlan, exists: boolean): TunDevice {
  try {
    return openTun(plan.name, plan.kind)
  } catch (error) {
    if (!isSystemCallError(error)) throw error
    switch (error.code) {
      case 'EPERM':
        throw new TunPermissionError(exists
          ? `${plan.kind.toUpperCase()} ${plan.name} belongs to another user: run "${tunCreateCommand(plan)}" to hand it to you, then start the bridge again.`
          : `Creating ${plan.kind.toUpperCase()} ${plan.name} needs root: run "${tunCreateCommand(plan)}" once, then start the bridge again.`, plan)
      case 'EBUSY':
        throw new UserError(`${plan.name} is already in use by another program (another bridge?); stop it or choose another name with --tun.`)
      case 'ENOENT':
      case 'ENODEV':
        throw new UserError('This kernel has no TUN/TAP support (/dev/net/tun is missing); load it with "sudo modprobe tun".')
      case 'EACCES':
        throw new UserError('You may not open /dev/net/tun; ask your administrator to allow it (it is normally world-writable).')
      default:
        throw new UserError(`Could not open ${plan.name}: ${error.message}.`)
    }
  }
}
