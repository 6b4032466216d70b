// What `tun create` accepts. It runs as root for a caller who may not be
// (pkexec, whose authorization polkit may keep for minutes), so beyond the
// syntax it refuses what would hand root a device or route more than a small
// subnet of ordinary addresses into a TUN. These rules are the helper's own:
// the bridge runs with its caller's rights, so its --host-ip keeps the plain
// syntax check of parseCidr.
import { ipv4ToBytes, parseCidr, parseIntegerInRange, parseInterfaceName, type Ipv4Cidr } from '../engine/addresses.js'
import { UserError } from '../engine/errors.js'
import type { TunPlan } from '../engine/host/tunSetup.js'
import { lookupUser } from '../native/index.js'

export interface TunCreateFlags {
  name: string
  user: string
  hostIp: string
  mtu: string
  tap?: boolean
}

export interface TunCreateRequest extends TunPlan {
  owner: { login: string; uid: number }
}

const LOGIN = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i
/** A /16 is already 65 536 addresses; anything wider takes over routes the machine uses elsewhere. */
const SHORTEST_PREFIX = 16

/** Every argument checked, the owner's uid looked up; nothing about interfaces or privileges yet. */
export function parseTunCreateFlags(flags: TunCreateFlags): TunCreateRequest {
  return {
    name: parseInterfaceName(flags.name),
    kind: flags.tap ? 'tap' : 'tun',
    hostIp: parseHelperHostIp(flags.hostIp),
    mtu: parseIntegerInRange(flags.mtu, 68, 65535, '--mtu'),
    owner: parseOwner(flags.user)
  }
}

/** The helper's --host-ip rules; the desktop app checks a request with them before asking for a password. */
export function parseHelperHostIp(text: string): Ipv4Cidr {
  const cidr = parseCidr(text, '--host-ip')
  const problem = specialAddress(cidr.address)
  if (problem) throw new UserError(`--host-ip ${text} ${problem}; use an ordinary one such as 192.168.100.1/24.`)
  if (cidr.prefixLength < SHORTEST_PREFIX) {
    throw new UserError(`--host-ip ${text} would route ${2 ** (32 - cidr.prefixLength)} addresses into the TUN; use a prefix length from ${SHORTEST_PREFIX} to 30, such as 192.168.100.1/24.`)
  }
  return cidr
}

/** Why `address` may not be a TUN's own address, or undefined. With a prefix of /16 or longer its subnet stays inside the same /8. */
function specialAddress(address: string): string | undefined {
  const first = ipv4ToBytes(address)[0]!
  if (address === '255.255.255.255') return 'is the limited broadcast address'
  if (first === 0) return 'is in 0.0.0.0/8, which means "this network"'
  if (first === 127) return 'is a loopback address (127.0.0.0/8)'
  if (first >= 224 && first < 240) return 'is a multicast address (224.0.0.0/4)'
  if (first >= 240) return 'is in the reserved block 240.0.0.0/4'
  return undefined
}

function parseOwner(login: string): TunCreateRequest['owner'] {
  if (!LOGIN.test(login)) throw new UserError(`--user "${login}" is not a login name.`)
  const user = lookupUser(login)
  if (user === null) throw new UserError(`There is no user "${login}" on this machine; give the login of the user who will run the bridge.`)
  // By uid, not by name: any login with uid 0 is root.
  if (user.uid === 0) throw new UserError(`--user ${login} is the superuser (uid 0); give the login of the ordinary user who will run the bridge.`)
  return { login, uid: user.uid }
}
