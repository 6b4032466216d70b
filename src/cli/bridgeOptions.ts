// The bridge's command-line options, shared by `bridge` and (later) `serve`,
// and their strict translation into BridgeOptions.
import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

import type { Command } from 'commander'

import { parseCidr, parseIntegerInRange, parseInterfaceName, parseIpv4, parseMac, sameSubnet } from '../engine/addresses.js'
import type { BridgeOptions } from '../engine/bridge.js'
import { ETHERNET_HEADER } from '../engine/ethernet.js'
import { UserError } from '../engine/errors.js'
import type { TransportOptions } from '../engine/transport/index.js'

export const DEFAULT_SOCKET = 'temp/esp32-uart1.sock'
/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107

export interface BridgeFlags {
  socket?: string
  tcp?: string
  listen?: boolean
  tun: string
  tap?: boolean
  hostIp: string
  deviceIp: string
  maxFrame: string
  mtu?: string
  gwMac: string
  deviceMac: string
  baud: string
}

export function addBridgeOptions(command: Command): Command {
  return command
    .option('--socket <path>', `QEMU's UART unix socket (default: ${DEFAULT_SOCKET} under the current folder)`)
    .option('--tcp <host:port>', "connect over TCP instead (QEMU's -serial tcp::PORT,server,nowait)")
    .option('--listen', 'listen on --socket and let QEMU connect (QEMU without ",server")')
    .option('--tun <name>', 'host TUN device', 'tun0')
    .option('--tap', 'use a TAP device and pass Ethernet frames unchanged')
    .option('--host-ip <cidr>', "the host's address on the TUN", '192.168.100.1/24')
    .option('--device-ip <address>', "the device's address", '192.168.100.2')
    .option('--max-frame <bytes>', 'largest frame the device takes, Ethernet header included', '1500')
    .option('--mtu <bytes>', 'TUN MTU (default: max-frame − 14)')
    .option('--gw-mac <mac>', 'MAC the device knows the gateway by (source of frames to it)', '02:00:00:00:00:01')
    .option('--device-mac <mac>', "the device's MAC until it is learned from its frames", '02:00:00:00:00:02')
    .option('--baud <rate>', 'UART baud rate, for utilization (8N1: baud/10 bytes/s)', '115200')
}

export function toBridgeOptions(flags: BridgeFlags): Omit<BridgeOptions, 'capture'> {
  const hostIp = parseCidr(flags.hostIp, '--host-ip')
  const deviceIp = parseIpv4(flags.deviceIp, '--device-ip')
  if (deviceIp === hostIp.address) throw new UserError(`--device-ip ${deviceIp} is the host's own address; give the device another one.`)
  if (!sameSubnet(hostIp.address, deviceIp, hostIp.prefixLength)) {
    throw new UserError(`--device-ip ${deviceIp} is outside ${hostIp.address}/${hostIp.prefixLength}, so the host would not route to it; pick an address in that subnet.`)
  }
  const maxFrame = parseIntegerInRange(flags.maxFrame, 64, 65535, '--max-frame')
  const largestMtu = maxFrame - (flags.tap ? 0 : ETHERNET_HEADER)
  const mtu = flags.mtu === undefined ? largestMtu : parseIntegerInRange(flags.mtu, 68, 65535, '--mtu')
  if (mtu > largestMtu) {
    throw new UserError(`--mtu ${mtu} would make frames longer than --max-frame ${maxFrame} allows; use at most ${largestMtu}.`)
  }
  return {
    transport: toTransport(flags),
    tun: { name: parseInterfaceName(flags.tun), kind: flags.tap ? 'tap' : 'tun', hostIp, mtu },
    maxFrame,
    gatewayMac: parseMac(flags.gwMac, '--gw-mac'),
    defaultDeviceMac: parseMac(flags.deviceMac, '--device-mac'),
    deviceIp,
    baud: parseIntegerInRange(flags.baud, 0, 100_000_000, '--baud')
  }
}

function toTransport(flags: BridgeFlags): TransportOptions {
  if (flags.tcp !== undefined) {
    if (flags.socket !== undefined || flags.listen) throw new UserError('--tcp cannot be combined with --socket or --listen; choose one way to reach the device.')
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d+)$/.exec(flags.tcp)
    if (!match) throw new UserError(`--tcp "${flags.tcp}" is not HOST:PORT; write it like localhost:5555.`)
    return { kind: 'tcp-client', host: match[1] ?? match[2]!, port: parseIntegerInRange(match[3]!, 1, 65535, 'TCP port') }
  }
  const path = resolve(flags.socket ?? DEFAULT_SOCKET)
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new UserError(`The socket path ${path} is longer than the ${MAX_SOCKET_PATH} bytes a unix socket allows; use a shorter path.`)
  }
  const folder = dirname(path)
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new UserError(`The socket's folder ${folder} does not exist; create it or give QEMU and --socket a path in an existing folder.`)
  }
  return { kind: flags.listen ? 'unix-server' : 'unix-client', path }
}
