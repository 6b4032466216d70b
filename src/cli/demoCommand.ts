// `tunscope demo`: the simulated ESP32 on a UART socket, for trying Tunscope
// (or testing a bridge) without QEMU. It runs until stopped (Ctrl-C).
import type { Command } from 'commander'

import { formatMacBytes, parseIntegerInRange, parseIpv4, parseMac, sameSubnet } from '../engine/addresses.js'
import { checkSocketFolderExists, parseSocketPath } from '../engine/bridgeSettings.js'
import { UserError } from '../engine/errors.js'
import type { Framing } from '../engine/framing/framing.js'
import { DEFAULT_FRAMING, FRAMING_NAMES, framingFor, isFramePayload, isFramingName, payloadsOf } from '../engine/framing/index.js'
import { DemoDevice } from '../demo/demoDevice.js'
import { DEMO_FAULTS, FAULT_TEXT, isDemoFault, type DemoFault } from '../shared/demoFaults.js'

export interface DemoCommandFlags {
  socket?: string
  baud: string
  ip: string
  gateway: string
  /** Take the address by DHCP (from tunscope bridge --dhcp) instead of --ip. */
  dhcp?: boolean
  fault?: string
  faultEvery: string
  /** How frames go on the wire: esp32 (the firmware's, the default), qemu or slip. */
  framing?: string
  /** What slip records carry: ethernet (the default) or ip. */
  payload?: string
  /** The device's MAC; default: the framing's usual device's. */
  mac?: string
}

/** The subnet the default --gateway is taken to be in (the bridge's default --host-ip is 192.168.100.1/24). */
const DEFAULT_GATEWAY_PREFIX = 24

/** @param command tells whether --gateway was given or is the default. */
export async function runDemo(flags: DemoCommandFlags, command?: Command): Promise<void> {
  const socketPath = parseSocketPath(flags.socket, '--socket', false)
  const baud = parseIntegerInRange(flags.baud, 0, 100_000_000, '--baud')
  const ip = parseIpv4(flags.ip, '--ip')
  const gateway = parseIpv4(flags.gateway, '--gateway')
  if (ip === gateway) throw new UserError(`--ip and --gateway are both ${ip}; the device needs an address of its own.`)
  if (command?.getOptionValueSource('gateway') === 'default' && !sameSubnet(ip, gateway, DEFAULT_GATEWAY_PREFIX)) {
    const octets = ip.split('.')
    const suggestion = [...octets.slice(0, 3), octets[3] === '1' ? '2' : '1'].join('.')
    throw new UserError(`--ip ${ip} is outside ${subnetOf(gateway)}, the subnet of the default --gateway ${gateway}; give --gateway too, the host's address on the TUN (such as ${suggestion}).`)
  }
  if (flags.dhcp && command?.getOptionValueSource('ip') === 'cli') throw new UserError('--ip and --dhcp both say where the address comes from; give one (with --dhcp, the bridge\'s --device-ip is the address).')
  const framing = parseDemoFraming(flags)
  if (framing.payload === 'ip' && flags.dhcp) throw new UserError('--dhcp needs Ethernet frames, and --payload ip carries bare IP packets; give the device an --ip, or use --payload ethernet.')
  const mac = flags.mac === undefined ? undefined : formatMacBytes(parseMac(flags.mac, '--mac'))
  const faults = parseFaults(flags.fault)
  const faultEveryMs = parseIntegerInRange(flags.faultEvery, 1, 3600, '--fault-every') * 1000
  // Last: every flag is checked before anything about the machine.
  checkSocketFolderExists(socketPath, '--socket')

  let faultTimer: NodeJS.Timeout | undefined
  let fail: (error: Error) => void = () => {}
  const fatal = new Promise<never>((_, reject) => (fail = reject))
  const device: DemoDevice = new DemoDevice({
    socketPath,
    baud,
    ip: flags.dhcp ? null : ip,
    gateway,
    framing,
    ...(mac !== undefined ? { mac } : {}),
    onFatal: (error) => fail(error),
    onLease: (leased) => console.error(leased ? `DHCP lease taken: ${leased}` : 'DHCP lease lost; asking again'),
    onLink(connected) {
      console.error(connected ? 'bridge connected' : 'bridge disconnected; output is dropped until one connects again')
      clearInterval(faultTimer)
      // One fault at a time, in turn: back to back they would be one desync episode for the bridge.
      let next = 0
      if (connected && faults.length > 0) faultTimer = setInterval(() => device.inject(faults[next++ % faults.length]!), faultEveryMs)
    }
  })
  await device.start()
  console.error(`demo device ${flags.dhcp ? 'without an address until DHCP gives one' : ip} (${device.macText}) serving ${socketPath}${framing.name === DEFAULT_FRAMING ? '' : ` in ${framing.title} framing`} at ${baud === 0 ? 'unpaced speed' : `${baud} baud`}; waiting for a bridge`)
  if (faults.length > 0) console.error(`one fault every ${faultEveryMs / 1000} s while a bridge is connected, in turn: ${faults.map((f) => FAULT_TEXT[f].label.toLowerCase()).join(', ')}`)

  const stopped = new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      resolve()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
  try {
    await Promise.race([stopped, fatal])
  } finally {
    clearInterval(faultTimer)
    await device.stop()
  }
  console.error(`demo device stopped: ${JSON.stringify(device.stats())}`)
}

/** --framing and --payload, in the words tunscope bridge uses for them. */
function parseDemoFraming(flags: DemoCommandFlags): Framing {
  const name = flags.framing ?? DEFAULT_FRAMING
  if (!isFramingName(name)) throw new UserError(`--framing "${name}" is not a framing the demo device speaks; choose ${FRAMING_NAMES.slice(0, -1).join(', ')} or ${FRAMING_NAMES.at(-1)}.`)
  if (flags.payload === undefined) return framingFor(name)
  const payloads = payloadsOf(name)
  if (payloads.length === 1) throw new UserError(`--payload is for framings that can carry bare IP (slip); ${name} always carries Ethernet frames.`)
  if (!isFramePayload(flags.payload) || !payloads.includes(flags.payload)) throw new UserError(`--payload "${flags.payload}" is not what ${name} can carry; choose ${payloads.join(' or ')}.`)
  return framingFor(name, flags.payload)
}

function subnetOf(address: string): string {
  return `${address.split('.').slice(0, 3).join('.')}.0/${DEFAULT_GATEWAY_PREFIX}`
}

function parseFaults(text: string | undefined): DemoFault[] {
  if (text === undefined) return []
  return text.split(',').map((name) => {
    if (!isDemoFault(name)) throw new UserError(`--fault "${name}" is not a fault this device knows; choose from ${DEMO_FAULTS.join(', ')}.`)
    return name
  })
}
