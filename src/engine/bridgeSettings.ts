// Bridge settings as typed by a person (command-line flags or the settings
// form) and their strict translation into BridgeOptions: every problem is one
// sentence naming the field the way the caller's user knows it.
import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

import { parseCidr, parseIntegerInRange, parseInterfaceName, parseIpv4, parseIpv6Prefix64, parseMac, sameSubnet } from './addresses.js'
import type { BridgeOptions, DeviceOptions } from './bridge.js'
import { DEVICE_NAME, deviceNames, parseDeviceSpec, splitBaud, type DeviceAddressKind, type DeviceSpec } from './deviceSpecs.js'
import { ETHERNET_HEADER } from './ethernet.js'
import { UserError } from './errors.js'
import { DEFAULT_DHCP_LEASE, MAX_DNS_SERVERS } from './services/dhcpServer.js'
import { checkForwards, parseForward } from './uplink/forwards.js'
import { USER_NET_ENGINES, type UserNetEngineName } from './uplink/userNetEngine.js'
import type { Framing } from './framing/framing.js'
import { DEFAULT_FRAMING, FRAMING_NAMES, framingFor, isFramePayload, isFramingName, payloadsOf } from './framing/index.js'
import { transportKey, type TransportOptions } from './transport/index.js'
import { notASerialDevice, STANDARD_BAUD_RATES } from './transport/serialPort.js'

export const DEFAULT_SOCKET = 'temp/esp32-uart1.sock'
/** The TUN read's length field, the capture and the UI all hold frames up to 16 bits long. */
const LARGEST_MAX_FRAME = 0xffff
/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107

export interface BridgeFlags {
  /** Unix sockets, one device each: `[NAME=][FRAMING:]PATH[@BAUD]` (deviceSpecs.ts). */
  socket?: string | string[]
  /** TCP addresses, one device each: `[NAME=][FRAMING:]HOST:PORT[@BAUD]`. */
  tcp?: string | string[]
  listen?: boolean
  /** Serial devices, one device each (`[NAME=][FRAMING:]PATH[@BAUD]`), run at their baud, else `baud`. */
  serial?: string | string[]
  /** esp32 (the default), qemu or slip. */
  framing?: string
  /** What the framing's records carry, where it has a choice (slip): ethernet (the default) or ip. */
  payload?: string
  /** The IPv6 /64 prefix a SLIP device's tunslip6 '?P' request is answered with. */
  ipv6Prefix?: string
  tun: string
  tap?: boolean
  hostIp: string
  deviceIp: string
  /** Default: the framing's. */
  maxFrame?: string
  mtu?: string
  gwMac: string
  /** Default: the framing's. */
  deviceMac?: string
  baud: string
  /** Answer the device's DHCP requests with --device-ip. */
  dhcp?: boolean
  /** Seconds; default DEFAULT_DHCP_LEASE. */
  dhcpLease?: string
  /** Resolvers offered to the device over DHCP. */
  dns?: string[]
  /** No TUN and no root: the host side is a user-mode network (passt, or QEMU's libslirp). */
  userNet?: boolean
  /** Which user-mode network: passt or slirp; left out, passt where installed and else libslirp. */
  userNetEngine?: string
  /** Port forwards into the device through the user-mode network, like tcp:8080:80. */
  forward?: string[]
}

export type BridgeField = '--socket' | '--tcp' | '--listen' | '--serial' | '--framing' | '--payload' | '--ipv6-prefix' | '--tun' | '--tap' | '--host-ip' | '--device-ip' | '--max-frame' | '--mtu' | '--gw-mac' | '--device-mac' | '--baud' | '--dhcp' | '--dhcp-lease' | '--dns' | '--user-net' | '--user-net-engine' | '--forward'

export { DEFAULT_DHCP_LEASE }

/** How messages name each field: the command-line flag unless the caller says otherwise. */
export type FieldNames = Partial<Record<BridgeField, string>>

/**
 * @param checkSocketFolder false: do not require the socket's folder or the
 *   serial device to exist yet (checking flags that are used later, e.g. when
 *   the UI's Start is pressed).
 */
export function toBridgeOptions(flags: BridgeFlags, names: FieldNames = {}, checkSocketFolder = true): Omit<BridgeOptions, 'capture'> {
  const name = (field: BridgeField): string => names[field] ?? field
  const hostIp = parseCidr(flags.hostIp, name('--host-ip'))
  const deviceIp = parseIpv4(flags.deviceIp, name('--device-ip'))
  if (deviceIp === hostIp.address) throw new UserError(`${name('--device-ip')} ${deviceIp} is the host's own address; give the device another one.`)
  if (!sameSubnet(hostIp.address, deviceIp, hostIp.prefixLength)) {
    throw new UserError(`${name('--device-ip')} ${deviceIp} is outside ${hostIp.address}/${hostIp.prefixLength}, so the host would not route to it; pick an address in that subnet.`)
  }
  const specs = deviceSpecs(flags, name)
  const framings = specs.map((spec) => parseFraming(spec.framing ?? flags.framing ?? DEFAULT_FRAMING, flags, name))
  checkPayload(flags, framings, name)
  const framing = framings[0]!
  const slipPrefix = toSlipPrefix(flags, framings, name)
  const maxFrames = framings.map((f) => maxFrameOf(f, flags, name))
  // A TUN's packets become frames behind an Ethernet header, unless the device takes bare IP; every device must take the TUN's largest.
  const largestMtu = Math.min(...framings.map((f, i) => maxFrames[i]! - (flags.tap || f.payload === 'ip' ? 0 : ETHERNET_HEADER)))
  const mtu = flags.mtu === undefined ? largestMtu : parseIntegerInRange(flags.mtu, 68, 65535, name('--mtu'))
  if (mtu > largestMtu) {
    throw new UserError(`${name('--mtu')} ${mtu} would make frames longer than ${name('--max-frame')} ${Math.min(...maxFrames)} allows; use at most ${largestMtu}.`)
  }
  const tun = { name: parseInterfaceName(flags.tun), kind: flags.tap ? 'tap' as const : 'tun' as const, hostIp, mtu }
  const gatewayMac = parseMac(flags.gwMac, name('--gw-mac'))
  const deviceMac = flags.deviceMac === undefined ? null : parseMac(flags.deviceMac, name('--device-mac'))
  // --baud is checked where it is given, even when every device has its own.
  parseIntegerInRange(flags.baud, 0, 100_000_000, name('--baud'))
  const bauds = specs.map((spec) => baudOf(spec, flags, name))
  const dhcp = toDhcp(flags, name)
  const several = specs.length > 1
  if (several && flags.userNet && flags.userNetEngine === 'passt') {
    throw new UserError(`passt serves one device; for several, use ${name('--user-net-engine')} slirp (QEMU's libslirp).`)
  }
  const deviceNamesGiven = deviceNames(specs, (kind) => name(kind === 'socket' ? '--socket' : kind === 'tcp' ? '--tcp' : '--serial'))
  const transports = specs.map((spec, i) => (spec.kind === 'serial' ? toSerialTransport(spec, bauds[i]!, flags, name) : toTransport(spec, flags, name)))
  const seen = new Set<string>()
  for (const [i, transport] of transports.entries()) {
    const key = transportKey(transport)
    if (seen.has(key)) throw new UserError(`${specs[i]!.address.slice(0, 80)} is given for two devices; give each device its own socket, TCP port or serial port.`)
    seen.add(key)
  }
  // Last: every flag is checked before anything about the machine.
  for (const transport of transports) {
    // A serial device may be plugged in later (at Start), but a path that is something else never is one.
    if (transport.kind === 'serial') {
      if (checkSocketFolder || existsSync(transport.path)) checkSerialDevice(transport.path, name('--serial'))
    } else if (checkSocketFolder && (transport.kind === 'unix-client' || transport.kind === 'unix-server')) checkSocketFolderExists(transport.path, name('--socket'))
  }
  const devices = specs.map((_, i): DeviceOptions => ({
    name: deviceNamesGiven[i]!,
    transport: transports[i]!,
    framing: framings[i]!,
    maxFrame: maxFrames[i]!,
    // One device has the configured address; several show theirs (or get them from DHCP).
    deviceIp: several ? null : deviceIp,
    defaultDeviceMac: deviceMac ?? parseMac(framings[i]!.defaultDeviceMac),
    baud: bauds[i]!
  }))
  return { devices, tun, gatewayMac, deviceIp, dhcp, slipPrefix, userNet: toUserNet(flags, framing, name) }
}

/** A device the app adds beside its main one: how it is reached and its framing; its address it shows itself. */
export interface AddedDevice {
  name: string
  kind: DeviceAddressKind
  /** Listen on the socket or TCP address (QEMU connects), rather than connect. */
  listen: boolean
  address: string
  framing: string
}

/**
 * The options of a device added to a running bridge made from `flags` (its baud, MAC default,
 * --max-frame and payload), checked as the command line's devices are: one sentence for what is wrong.
 */
export function toDeviceOptions(device: AddedDevice, flags: BridgeFlags, names: FieldNames = {}): DeviceOptions {
  const name = (field: BridgeField): string => names[field] ?? field
  const fieldOf = (kind: DeviceAddressKind): string => name(kind === 'socket' ? '--socket' : kind === 'tcp' ? '--tcp' : '--serial')
  const { address, baud: baudText } = splitBaud(device.address)
  const [deviceName] = deviceNames([{ kind: device.kind, name: device.name, framing: null, address, baud: baudText, text: device.address }], fieldOf)
  if (!DEVICE_NAME.test(device.name)) throw new UserError(`The name "${device.name.slice(0, 40)}" is not one a device can have; use 1 to 32 letters, digits, '.', '_' or '-'.`)
  const framing = parseFraming(device.framing, flags, name)
  const maxFrame = maxFrameOf(framing, flags, name)
  const spec: DeviceSpec = { kind: device.kind, name: deviceName!, framing: framing.name, address, baud: baudText, text: device.address }
  const baud = baudOf(spec, flags, name)
  const transport = device.kind === 'serial' ? toSerialTransport(spec, baud, flags, name) : toTransport(spec, { ...flags, listen: device.listen }, name)
  const deviceMac = flags.deviceMac === undefined ? null : parseMac(flags.deviceMac, name('--device-mac'))
  return { name: deviceName!, transport, framing, maxFrame, deviceIp: null, defaultDeviceMac: deviceMac ?? parseMac(framing.defaultDeviceMac), baud }
}

/** A device's frame limit: --max-frame, within what its framing carries, else the framing's own. */
function maxFrameOf(framing: Framing, flags: BridgeFlags, name: (field: BridgeField) => string): number {
  if (flags.maxFrame === undefined) return framing.limits.defaultMaxFrame
  return parseIntegerInRange(flags.maxFrame, 64, Math.min(LARGEST_MAX_FRAME, framing.limits.largestFrame), name('--max-frame'))
}

/** A device's baud: its own (ADDRESS@BAUD), else --baud. */
function baudOf(spec: DeviceSpec, flags: BridgeFlags, name: (field: BridgeField) => string): number {
  if (spec.baud === null) return parseIntegerInRange(flags.baud, 0, 100_000_000, name('--baud'))
  return parseIntegerInRange(spec.baud, 0, 100_000_000, `The baud of ${spec.text.slice(0, 80)}`)
}

const listOf = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value])

/** The devices the flags give, in the order sockets, TCP addresses, serial ports. */
export function givenDeviceSpecs(flags: Pick<BridgeFlags, 'socket' | 'tcp' | 'serial'>): DeviceSpec[] {
  return [
    ...listOf(flags.socket).map((text) => parseDeviceSpec('socket', text)),
    ...listOf(flags.tcp).map((text) => parseDeviceSpec('tcp', text)),
    ...listOf(flags.serial).map((text) => parseDeviceSpec('serial', text))
  ]
}

/** The devices given; none: the default socket. */
function deviceSpecs(flags: BridgeFlags, name: (field: BridgeField) => string): DeviceSpec[] {
  const specs = givenDeviceSpecs(flags)
  if (flags.listen && !specs.some((spec) => spec.kind !== 'serial') && specs.length > 0) {
    throw new UserError(`${name('--listen')} listens on a socket or a TCP address, and a serial port is neither; drop ${name('--listen')}, or add ${name('--socket')} or ${name('--tcp')}.`)
  }
  return specs.length > 0 ? specs : [parseDeviceSpec('socket', DEFAULT_SOCKET)]
}

function toUserNet(flags: BridgeFlags, framing: Framing, name: (field: BridgeField) => string): BridgeOptions['userNet'] {
  const forwards = flags.forward ?? []
  if (!flags.userNet) {
    if (flags.userNetEngine !== undefined) throw new UserError(`${name('--user-net-engine')} chooses the user-mode network's engine; add ${name('--user-net')}, or drop it.`)
    if (forwards.length > 0) throw new UserError(`${name('--forward')} forwards a port through the user-mode network; add ${name('--user-net')}, or reach the device at its address on the TUN.`)
    return null
  }
  if (flags.tap) throw new UserError(`${name('--user-net')} needs no TUN or TAP; drop ${name('--tap')}.`)
  if (framing.payload === 'ip') throw new UserError(`${name('--user-net')} carries Ethernet frames, and ${name('--payload')} ip carries bare IP packets; use ${name('--payload')} ethernet, or a TUN.`)
  const parsed = forwards.map((text) => parseForward(text, name('--forward')))
  checkForwards(parsed, name('--forward'))
  const engine = flags.userNetEngine
  if (engine === undefined) return { forwards: parsed }
  if (!(USER_NET_ENGINES as readonly string[]).includes(engine)) {
    throw new UserError(`${name('--user-net-engine')} "${engine.slice(0, 40)}" is not an engine Tunscope runs; choose passt or slirp (QEMU's libslirp).`)
  }
  return { forwards: parsed, engine: engine as UserNetEngineName }
}

function toSlipPrefix(flags: BridgeFlags, framings: readonly Framing[], name: (field: BridgeField) => string): Uint8Array | null {
  if (flags.ipv6Prefix === undefined) return null
  if (!framings.some((framing) => framing.name === 'slip')) throw new UserError(`${name('--ipv6-prefix')} answers tunslip6's prefix request, which only SLIP devices send; add ${name('--framing')} slip or drop it.`)
  return parseIpv6Prefix64(flags.ipv6Prefix, name('--ipv6-prefix'))
}

function toDhcp(flags: BridgeFlags, name: (field: BridgeField) => string): BridgeOptions['dhcp'] {
  const dns = flags.dns ?? []
  if (!flags.dhcp) {
    const stray = flags.dhcpLease !== undefined ? name('--dhcp-lease') : dns.length > 0 ? name('--dns') : null
    if (stray) throw new UserError(`${stray} is for the DHCP server; add ${name('--dhcp')} to turn it on.`)
    return null
  }
  if (dns.length > MAX_DNS_SERVERS) throw new UserError(`${name('--dns')}: ${dns.length} resolvers given; DHCP offers at most ${MAX_DNS_SERVERS}.`)
  return {
    leaseSeconds: flags.dhcpLease === undefined ? DEFAULT_DHCP_LEASE : parseIntegerInRange(flags.dhcpLease, 60, 0xffffffff, name('--dhcp-lease')),
    dnsServers: dns.map((server) => parseIpv4(server, name('--dns')))
  }
}

/** The framing named (a device's prefix, or --framing), carrying --payload where it has the choice. */
function parseFraming(framingName: string, flags: BridgeFlags, name: (field: BridgeField) => string): Framing {
  if (!isFramingName(framingName)) throw new UserError(`${name('--framing')} "${framingName}" is not a framing this bridge speaks; choose ${FRAMING_NAMES.slice(0, -1).join(', ')} or ${FRAMING_NAMES.at(-1)}.`)
  const payloads = payloadsOf(framingName)
  if (flags.payload === undefined || payloads.length === 1) return framingFor(framingName)
  if (!isFramePayload(flags.payload) || !payloads.includes(flags.payload)) {
    throw new UserError(`${name('--payload')} "${flags.payload}" is not what ${framingName} can carry; choose ${payloads.join(' or ')}.`)
  }
  const framing = framingFor(framingName, flags.payload)
  if (framing.payload === 'ip') {
    const clash = flags.tap ? `a TAP (${name('--tap')})` : flags.dhcp ? `DHCP (${name('--dhcp')})` : null
    if (clash) throw new UserError(`${clash} needs Ethernet frames, and ${name('--payload')} ip carries bare IP packets; use a TUN, or ${name('--payload')} ethernet.`)
  }
  return framing
}

/** --payload chooses for framings with a choice: a bridge with none of them has no use for it. */
function checkPayload(flags: BridgeFlags, framings: readonly Framing[], name: (field: BridgeField) => string): void {
  if (flags.payload === undefined || framings.some((framing) => payloadsOf(framing.name).length > 1)) return
  throw new UserError(`${name('--payload')} is for framings that can carry bare IP (slip); ${framings[0]!.name} always carries Ethernet frames.`)
}

/** A serial port's transport, at its device's baud (which must be one serial ports take): its own (@BAUD), else --baud's. */
function toSerialTransport(spec: DeviceSpec, baud: number, flags: BridgeFlags, name: (field: BridgeField) => string): TransportOptions {
  if (spec.address.trim() === '') throw new UserError(`${name('--serial')} is empty; give the serial device's path, such as /dev/ttyUSB0.`)
  if (!STANDARD_BAUD_RATES.includes(baud)) {
    const said = spec.baud === null ? `${name('--baud')} "${flags.baud}"` : `The baud of ${spec.text.slice(0, 80)}, ${spec.baud},`
    throw new UserError(`${said} is not a speed serial ports take; choose a standard rate such as 9600, 115200 or 921600.`)
  }
  return { kind: 'serial', path: resolve(spec.address), baud }
}

/** The serial device must exist now and be one (a regular file or a folder is a mistake); it may come and go later. */
function checkSerialDevice(path: string, what: string): void {
  let problem: string | null
  try {
    problem = notASerialDevice(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new UserError(`${what} ${path} cannot be looked at (${code ?? (error as Error).message}); check the path and its folders' permissions.`)
    throw new UserError(`${what} ${path} does not exist; plug the device in or give its path (ls /dev/ttyUSB* /dev/ttyACM*).`)
  }
  if (problem) throw new UserError(`The ${what} path ${problem}; give a serial device such as /dev/ttyUSB0.`)
}

function toTransport(spec: DeviceSpec, flags: BridgeFlags, name: (field: BridgeField) => string): TransportOptions {
  if (spec.kind === 'tcp') {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d+)$/.exec(spec.address)
    if (!match) throw new UserError(`${name('--tcp')} "${spec.address.slice(0, 80)}" is not HOST:PORT; write it like ${flags.listen ? '127.0.0.1' : 'localhost'}:5555.`)
    // listening: the host must be this machine's (0.0.0.0 or another non-loopback address opens the device to the network)
    return { kind: flags.listen ? 'tcp-server' : 'tcp-client', host: match[1] ?? match[2]!, port: parseIntegerInRange(match[3]!, 1, 65535, 'TCP port') }
  }
  if (spec.address.trim() === '') throw new UserError(`${name('--socket')} "${spec.text.slice(0, 80)}" names no socket; write it like qemu:temp/qemu-nic.sock, or a path alone.`)
  const path = parseSocketPath(spec.address, name('--socket'), false)
  return { kind: flags.listen ? 'unix-server' : 'unix-client', path }
}

/**
 * A unix socket path (relative ones resolved against the current folder), checked
 * for the kernel's length limit and, with `checkFolder`, for an existing folder.
 */
export function parseSocketPath(text: string | undefined, what: string, checkFolder = true): string {
  const path = resolve(text ?? DEFAULT_SOCKET)
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new UserError(`The socket path ${path} is longer than the ${MAX_SOCKET_PATH} bytes a unix socket allows; use a shorter path.`)
  }
  if (checkFolder) checkSocketFolderExists(path, what)
  return path
}

/** The socket's folder must exist: neither QEMU nor the bridge creates it. */
export function checkSocketFolderExists(path: string, what: string): void {
  const folder = dirname(path)
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new UserError(`The socket's folder ${folder} does not exist; create it or give QEMU and ${what} a path in an existing folder.`)
  }
}
