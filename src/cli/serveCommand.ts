// `tunscope serve`: the engine plus the inspector UI in a browser, for
// machines without the Electron binary and for showing a device to others.
import { dirname, join } from 'node:path'

import type { Command } from 'commander'

import { parseIntegerInRange } from '../engine/addresses.js'
import { givenDeviceSpecs, toBridgeOptions, type BridgeFlags } from '../engine/bridgeSettings.js'
import { UserError } from '../engine/errors.js'
import { deviceNames, type DeviceSpec } from '../engine/deviceSpecs.js'
import { DEFAULT_FRAMING, isFramePayload, isFramingName } from '../engine/framing/index.js'
import { findPackageFile } from '../engine/packageFile.js'
import { EngineService } from '../service/engineService.js'
import { startWebServer } from '../service/webServer.js'
import type { BridgeSettings } from '../shared/protocol.js'
import { settingsFolder } from './settingsFolder.js'
import { VERSION } from './version.js'

export interface ServeFlags extends BridgeFlags {
  port: string
  start?: boolean
  demo?: boolean
}

/** Where settings are remembered between runs (shared with nothing else). */
function settingsFile(): string {
  return join(settingsFolder(), 'settings.json')
}

/** Only the options given on the command line override the remembered settings. */
function givenSettings(flags: ServeFlags, command: Command): Partial<BridgeSettings> {
  const given = (key: keyof ServeFlags): boolean => command.getOptionValueSource(key) === 'cli'
  const settings: Partial<BridgeSettings> = {}
  if (given('tap')) settings.interfaceKind = 'tap'
  if (given('userNet')) settings.interfaceKind = 'user'
  if (given('forward')) settings.forwards = (flags.forward ?? []).join(', ')
  if (given('userNetEngine') && (flags.userNetEngine === 'passt' || flags.userNetEngine === 'slirp')) settings.userNetEngine = flags.userNetEngine
  if (given('framing') && flags.framing !== undefined && isFramingName(flags.framing)) settings.framing = flags.framing
  // After --framing: the main device's own framing prefix wins over it.
  Object.assign(settings, devicesGiven(flags, given('demo')))
  if (!given('socket') && !given('tcp') && given('listen')) settings.transport = 'listen'
  if (given('payload') && flags.payload !== undefined && isFramePayload(flags.payload)) settings.payload = flags.payload
  if (given('ipv6Prefix')) settings.ipv6Prefix = String(flags.ipv6Prefix)
  for (const field of ['tun', 'hostIp', 'deviceIp', 'maxFrame', 'mtu', 'gwMac', 'deviceMac', 'baud'] as const) if (given(field)) settings[field] = String(flags[field])
  if (given('dhcp')) settings.dhcp = true
  if (given('dhcpLease')) settings.dhcpLease = String(flags.dhcpLease)
  if (given('dns')) settings.dns = (flags.dns ?? []).join(', ')
  return settings
}

/**
 * The devices given: the first (or the demo, with --demo) is the settings' main device, the others
 * its list of more devices (each [NAME=][FRAMING:]ADDRESS, as for `tunscope bridge`).
 */
function devicesGiven(flags: ServeFlags, demo: boolean): Partial<BridgeSettings> {
  const specs = givenDeviceSpecs(flags)
  if (specs.length === 0) return demo ? { transport: 'demo' } : {}
  const transportOf = (spec: DeviceSpec): BridgeSettings['transport'] =>
    spec.kind === 'serial' ? 'serial' : spec.kind === 'tcp' ? (flags.listen ? 'tcp-listen' : 'tcp') : flags.listen ? 'listen' : 'unix'
  const names = deviceNames(specs, (kind) => `--${kind}`)
  const extras = demo ? specs : specs.slice(1)
  const main: Partial<BridgeSettings> = demo ? { transport: 'demo' } : mainDevice(specs[0]!, transportOf(specs[0]!))
  const framing = flags.framing !== undefined && isFramingName(flags.framing) ? flags.framing : DEFAULT_FRAMING
  return {
    ...main,
    // The address keeps its @BAUD, as the app's device list takes it.
    devices: extras.map((spec) => ({ name: names[specs.indexOf(spec)]!, transport: transportOf(spec), address: spec.baud === null ? spec.address : `${spec.address}@${spec.baud}`, framing: spec.framing ?? framing }))
  }
}

/** The settings' own device from the first given; it is named after its address in the app. */
function mainDevice(spec: DeviceSpec, transport: BridgeSettings['transport']): Partial<BridgeSettings> {
  const where = spec.kind === 'socket' ? { socket: spec.address } : spec.kind === 'tcp' ? { tcp: spec.address } : { serial: spec.address }
  return { transport, ...where, ...(spec.framing ? { framing: spec.framing } : {}), ...(spec.baud !== null ? { baud: spec.baud } : {}) }
}

/** One sentence on stderr, as the command's other messages, if there is one. */
function say(sentence: string | null | undefined): void {
  if (sentence) process.stderr.write(`tunscope: ${sentence}\n`)
}

export async function runServe(flags: ServeFlags, command: Command): Promise<void> {
  // Bad flags are refused before anything starts; the socket may appear later (QEMU makes it), the serial port when plugged in.
  toBridgeOptions(flags, {}, false)
  const port = parseIntegerInRange(flags.port, 0, 65535, '--port')
  const index = findPackageFile(import.meta.url, join('out', 'renderer', 'index.html'))
  if (!index) throw new UserError('The inspector UI is not built (out/renderer is missing): run npm run build in the tunscope folder.')

  const service = new EngineService({ settingsFile: settingsFile(), settings: givenSettings(flags, command), baseDir: process.cwd(), application: `tunscope ${VERSION}` })
  say(service.settingsFileTrouble.unreadable)
  let server
  try {
    server = await startWebServer({ service, rendererDir: dirname(index), port })
  } catch (error) {
    await service.close()
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') throw new UserError(`Port ${port} on 127.0.0.1 is taken; choose another with --port, or --port 0 for any free one.`)
    if (code === 'EACCES') throw new UserError(`Port ${port} needs privileges; choose one above 1023, or --port 0.`)
    throw error
  }
  process.stderr.write('Open the inspector at:\n')
  process.stdout.write(`${server.url}\n`)
  if (flags.start) {
    const refused = await service.startForThisRun()
    say(refused?.message ?? service.currentProblem?.message)
    say(service.settingsFileTrouble.unsaved)
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await server.close()
  await service.close()
}
