// The messages between the engine host (the Electron engine process or
// `tunscope serve`) and the inspector UI. Plain JSON-able shapes plus one
// binary frame batch (frameBatch.ts). Neither Node nor the DOM is used here:
// both sides import this file.
import type { CountersSnapshot } from '../engine/counters'
import { FRAMING_NAMES } from '../engine/framing'
import type { FramePayload, FramingName } from '../engine/framing/framing'
import { isDemoFault, type DemoFault } from './demoFaults'

export const PROTOCOL_VERSION = 2

/** The bridge settings as the settings form holds them (strings, as typed). */
export interface BridgeSettings {
  /** unix: connect to QEMU's socket; listen: QEMU connects to us; tcp: QEMU's TCP server; tcp-listen: QEMU connects to us over TCP; serial: a serial port (`serial`); demo: the built-in demo device. */
  transport: 'unix' | 'listen' | 'tcp' | 'tcp-listen' | 'serial' | 'demo'
  /** How the device's stream carries frames (`--framing`): esp32, the firmware's UART tunnel; qemu, QEMU's -netdev stream/socket; slip, RFC 1055. */
  framing: FramingName
  /** What the framing's records carry where it has a choice (`--payload`, slip): Ethernet frames, or bare IP packets. */
  payload: FramePayload
  /** The /64 a SLIP device's tunslip6 '?P' request is answered with (`--ipv6-prefix`); empty: not answered. */
  ipv6Prefix: string
  socket: string
  /** HOST:PORT for transports 'tcp' and 'tcp-listen'. */
  tcp: string
  /** The serial device for transport 'serial' (`--serial`), run at `baud`. */
  serial: string
  /**
   * The host side. tun: IP packets, Ethernet headers added and stripped by the bridge; tap: Ethernet
   * frames passed unchanged (`--tap`); user: no interface and no admin rights, a user-mode network
   * (passt, or QEMU's libslirp) with port forwards (`--user-net`).
   */
  interfaceKind: 'tun' | 'tap' | 'user'
  /** The host interface's name, TUN or TAP (unused for 'user'). */
  tun: string
  hostIp: string
  deviceIp: string
  maxFrame: string
  /** Empty: max frame − 14. */
  mtu: string
  gwMac: string
  /** The device's MAC until it is learned from its frames (`--device-mac`); empty: FIRMWARE_DEVICE_MAC. */
  deviceMac: string
  baud: string
  /** Answer the device's DHCP requests with deviceIp, the host as its router (`--dhcp`). */
  dhcp: boolean
  /** Lease seconds (`--dhcp-lease`); empty: DEFAULT_DHCP_LEASE. Kept, unused, while dhcp is off. */
  dhcpLease: string
  /** Resolvers offered over DHCP (`--dns`), separated by commas or spaces; empty: none. */
  dns: string
  /**
   * Host ports forwarded to the device in the user-mode network (`--forward`), as the command line
   * spells them (tcp:8080:80, udp:5000:5000, tcp:ADDR:8080:80), separated by commas or spaces.
   * Kept, unused, while interfaceKind is not 'user'.
   */
  forwards: string
  /** Which user-mode network (`--user-net-engine`): auto is passt where installed, else QEMU's libslirp. */
  userNetEngine: 'auto' | 'passt' | 'slirp'
  /** Devices besides the main one (the fields above), on the same bridge: added and removed in the app's device list. */
  devices: ExtraDeviceSettings[]
}

/** A device besides the main one, on the same bridge (a port of its switch). */
export interface ExtraDeviceSettings {
  /** What the app, the filter (dev == name) and the capture call it: letters, digits, '.', '_', '-', up to 32. */
  name: string
  /** As BridgeSettings.transport; demo: another simulated device, which sends its telemetry to the first. */
  transport: BridgeSettings['transport']
  /** The socket path, HOST:PORT or serial port, as typed (relative paths from the base folder); unused for demo. */
  address: string
  framing: FramingName
}

/** At most this many devices besides the main one (the bridge takes 32 in all). */
export const MAX_EXTRA_DEVICES = 31

/** One port forward of the running user-mode network. */
export interface ForwardSnapshot {
  protocol: 'tcp' | 'udp'
  /** Where the host listens: 127.0.0.1 unless the spec names another address. */
  bindAddress: string
  hostPort: number
  devicePort: number
  /** As the command line spells it: tcp:8080:80, tcp:0.0.0.0:8080:80. */
  spec: string
  /** Connections through it the device refused with a reset: nothing listens on its port (TCP). */
  refusedByDevice: number
}

/** The running user-mode network (interfaceKind 'user'). */
export interface UserNetSnapshot {
  /** What serves it: passt's own title, or QEMU's libslirp. */
  engine: string
  /** The forwards in effect now. */
  forwards: ForwardSnapshot[]
}

export interface LinkSnapshot {
  status: 'waiting' | 'connected' | 'reconnecting' | 'stopped'
  endpoint: string
  attempt: number
  connections: number
  detail: string | null
}

export interface TunSnapshot {
  name: string
  kind: 'tun' | 'tap' | 'other'
  address: string | null
  prefixLength: number | null
  mtu: number
  up: boolean
}

/** One device of the running bridge, as the device list shows it. */
export interface DeviceRowSnapshot {
  name: string
  framing: FramingName
  payload: FramePayload
  link: LinkSnapshot
  mac: string | null
  ipv4: string | null
  /** Another device has the same MAC or address, in one sentence; else null. */
  conflict: string | null
  /** False for the main device (the settings' own): removed by Stop, not from the list. */
  removable: boolean
}

/** The numbers of a line (a device's, or all devices' together): counters, rates, and what the line carries. */
export interface LineNumbers {
  counters: CountersSnapshot
  rates1s: { fromDevice: DirectionRateSnapshot; toDevice: DirectionRateSnapshot }
  rates10s: { fromDevice: DirectionRateSnapshot; toDevice: DirectionRateSnapshot }
  baud: number
  lineBytesPerSecond: number
}

/** One device's numbers, as the counters and the chart show them when it is selected. */
export interface DeviceStatsSnapshot extends LineNumbers {
  name: string
}

export interface DeviceSnapshot {
  mac: string | null
  ipv4: string | null
  /** True while the running bridge learned it; false: what the last bridge learned, kept after Stop until the next Start. */
  live: boolean
}

/** Why Start failed, in one sentence; tunCommand is set when a privileged `tunscope tun create` would fix it. */
export interface StartProblem {
  message: string
  tunCommand: TunCreateRequest | null
  /**
   * The TUN could not be had without admin rights and the user-mode network can run here (passt or
   * QEMU is installed): the UI offers "No admin rights: user-mode network" (Start with interfaceKind 'user').
   */
  userNetOffer: boolean
}

/** What `tunscope tun create` is asked to make (validated again by whoever runs it). */
export interface TunCreateRequest {
  name: string
  user: string
  hostIp: string
  mtu: number
  tap: boolean
  /** The same, as a command line to paste into a terminal. */
  commandLine: string
}

export interface StatusMessage {
  type: 'status'
  running: boolean
  settings: BridgeSettings
  link: LinkSnapshot | null
  tun: TunSnapshot | null
  /** Why the running bridge's TUN cannot take packets (taken down, or deleted until one of that name is back), or null. */
  tunProblem: { status: 'down' | 'missing'; message: string } | null
  device: DeviceSnapshot
  problem: StartProblem | null
  /** The settings file could not be read and was kept aside under another name (one sentence); said for the whole session. */
  settingsUnreadable: string | null
  /** The settings could not be written to their file (one sentence); said until a save succeeds, whatever Start does. */
  settingsUnsaved: string | null
  /** The user-mode network while it runs (interfaceKind 'user'), else null. */
  userNet: UserNetSnapshot | null
  /** The built-in demo device while it runs (transport 'demo'). */
  demo: DemoStatus | null
  /** The demo device's telemetry as the service receives it (transport 'demo'), kept after Stop until the next Start; else null. */
  telemetry: TelemetryStatus | null
  /** The running bridge's devices, the main one first; empty while stopped. */
  devices: DeviceRowSnapshot[]
  /** What the bridge calls (or will call) the settings' own device: its socket's or port's name, or demo. */
  mainDevice: string
  /** The capture's interfaces by id (a frame record's port byte): each the name of the device its frames came from or went to. */
  interfaces: string[]
}

/** Where the service listens for the demo's telemetry datagrams, the last reading and what came. */
export interface TelemetryStatus {
  /** ADDRESS:PORT while listening, else null. */
  listening: string | null
  /** Why it cannot listen (the port is taken, …), one sentence, or null. */
  problem: string | null
  last: TelemetryReading | null
  counts: TelemetryCounts
}

export interface TelemetryReading {
  /** Unix time in ms when it arrived. */
  at: number
  /** Its fields in the order sent. */
  fields: [string, TelemetryValue][]
}

export type TelemetryValue = number | string | boolean | null

/** Every datagram to the port, and what became of it: each is counted once more under exactly one of the others. */
export interface TelemetryCounts {
  datagrams: number
  /** Taken as the last reading. */
  readings: number
  /** From an address other than the device's. */
  notFromDevice: number
  /** Over the rate a device sends at (a flood): not looked at. */
  overRate: number
  /** Longer than any reading: not parsed. */
  oversized: number
  /** Not UTF-8 JSON. */
  notJson: number
  /** JSON, but not an object of a few short fields with numbers, short strings, booleans or null (nested, too many, too long). */
  notReading: number
}

export interface DemoStatus {
  /** The private UART socket the demo device serves and the bridge connects to. */
  socket: string
  /** The host-side traffic (ping, HTTP GET, UDP echo every few seconds) that keeps the demo lively. */
  traffic: { rounds: number; answered: number }
}

export interface DirectionRateSnapshot {
  bytesPerSecond: number
  framesPerSecond: number
  utilization: number
}

/**
 * The totals over every device (and the host side); each device's own in `devices`. Its baud and
 * line rate are all the devices' lines together (what the totals' utilization is measured against),
 * not one line's: a record's own line is its device's (`devices`).
 */
export interface StatsMessage extends LineNumbers {
  type: 'stats'
  /** Unix time in ms. */
  at: number
  /** Each running device's own numbers (the fields above are the totals); empty while stopped. */
  devices: DeviceStatsSnapshot[]
  /** Frames captured since the bridge started. */
  captured: number
  /** Frames captured but never sent to this UI because it could not keep up. */
  notShown: number
}

/** The answer, to its sender only, to a Save or Start whose settings do not validate: nothing was stored, stopped or started. */
export interface SettingsRejectedMessage {
  type: 'settingsRejected'
  message: string
}

export interface HelloMessage {
  type: 'hello'
  version: number
  /** performance.timeOrigin of the engine host: frame times are ms after it. */
  timeOrigin: number
  status: StatusMessage
  /** No settings were ever saved here: the UI offers its start screen. */
  firstRun: boolean
  /** The folder relative socket paths are resolved against (QEMU must be given the same file). */
  baseDir: string
}

/** Everything the engine host sends as JSON; frame batches travel as binary (frameBatch.ts). */
export type EngineMessage = HelloMessage | StatusMessage | StatsMessage | SettingsRejectedMessage

/** Everything the UI sends. */
export type UiCommand =
  | { type: 'start'; settings: BridgeSettings }
  | { type: 'stop' }
  /** Remember settings without starting. */
  | { type: 'saveSettings'; settings: BridgeSettings }
  /**
   * Change the user-mode network's forwards (BridgeSettings.forwards' spelling) and remember them;
   * a running bridge applies them at once. Refused in one sentence (settingsRejected) if a spec is
   * malformed or a host port cannot be had; the forwards in effect then stay as they were.
   */
  | { type: 'setForwards'; forwards: string }
  /** Have the running demo device put a fault on the wire. */
  | { type: 'demoFault'; fault: DemoFault }
  /**
   * Add a device to the settings' list, and to the running bridge at once (the others carry on).
   * Refused in one sentence (settingsRejected) if it does not validate or its name or address is taken.
   */
  | { type: 'addDevice'; device: ExtraDeviceSettings }
  /** Remove a device (by name) from the list and from the running bridge; the others carry on. */
  | { type: 'removeDevice'; name: string }

/** The MAC the firmware gives the device (the command line's default for `--device-mac`). */
export const FIRMWARE_DEVICE_MAC = '02:00:00:00:00:02'

export const DEFAULT_SETTINGS: BridgeSettings = {
  transport: 'unix',
  framing: 'esp32',
  payload: 'ethernet',
  ipv6Prefix: '',
  socket: 'temp/esp32-uart1.sock',
  tcp: 'localhost:5555',
  serial: '/dev/ttyUSB0',
  interfaceKind: 'tun',
  tun: 'tun0',
  hostIp: '192.168.100.1/24',
  deviceIp: '192.168.100.2',
  maxFrame: '1500',
  mtu: '',
  gwMac: '02:00:00:00:00:01',
  deviceMac: '',
  baud: '115200',
  dhcp: false,
  dhcpLease: '',
  dns: '',
  forwards: 'tcp:8080:80',
  userNetEngine: 'auto',
  devices: []
}

/** Accepts only messages shaped like UiCommand (the sender is not trusted). */
export function parseUiCommand(value: unknown): UiCommand | null {
  if (typeof value !== 'object' || value === null) return null
  const v = value as Record<string, unknown>
  if (v.type === 'stop') return { type: 'stop' }
  if (v.type === 'setForwards') return typeof v.forwards === 'string' && v.forwards.length <= MAX_FIELD_LENGTH ? { type: 'setForwards', forwards: v.forwards } : null
  if (v.type === 'demoFault') return isDemoFault(v.fault) ? { type: 'demoFault', fault: v.fault } : null
  if (v.type === 'addDevice') {
    const device = parseExtraDevice(v.device)
    return device ? { type: 'addDevice', device } : null
  }
  if (v.type === 'removeDevice') return typeof v.name === 'string' && v.name.length <= MAX_FIELD_LENGTH ? { type: 'removeDevice', name: v.name } : null
  if (v.type === 'start' || v.type === 'saveSettings') {
    const settings = parseSettings(v.settings)
    return settings ? { type: v.type, settings } : null
  }
  return null
}

const TRANSPORTS: readonly BridgeSettings['transport'][] = ['unix', 'listen', 'tcp', 'tcp-listen', 'serial', 'demo']
const INTERFACE_KINDS: readonly BridgeSettings['interfaceKind'][] = ['tun', 'tap', 'user']
const FRAME_PAYLOADS: readonly FramePayload[] = ['ethernet', 'ip']
const USER_NET_ENGINES: readonly BridgeSettings['userNetEngine'][] = ['auto', 'passt', 'slirp']
/** The fields that hold one of a few fixed words. */
type ChoiceField = 'transport' | 'interfaceKind' | 'framing' | 'payload' | 'userNetEngine'
const TEXT_FIELDS = ['socket', 'tcp', 'tun', 'hostIp', 'deviceIp', 'maxFrame', 'mtu', 'gwMac', 'deviceMac', 'baud'] as const
/** Text fields that settings from before them lack: those start from the defaults. */
const LATER_TEXT_FIELDS = ['dhcpLease', 'dns', 'serial', 'ipv6Prefix', 'forwards'] as const
/** Plenty for a path; a bound on what a sender can make the engine keep. */
const MAX_FIELD_LENGTH = 4096

/**
 * Settings with every field present and well-formed (not yet validated as bridge options), else null.
 * The framing may be absent: settings from before it could be chosen are the ESP32 tunnel's;
 * so may the payload (Ethernet), the DHCP fields (DHCP off) and the serial port.
 */
export function parseSettings(value: unknown): BridgeSettings | null {
  const { fields, malformed } = settingsFields(value)
  const complete = fields.transport !== undefined && fields.interfaceKind !== undefined && TEXT_FIELDS.every((key) => fields[key] !== undefined)
  return complete && malformed.length === 0 ? { ...DEFAULT_SETTINGS, ...fields } : null
}

/**
 * The well-formed fields of `value`, and the names of those present but
 * malformed (wrong type, unknown transport or interface kind, too long). Absent fields are
 * neither; a value that is not an object has none.
 */
export function settingsFields(value: unknown): { fields: Partial<BridgeSettings>; malformed: (keyof BridgeSettings)[] } {
  const fields: Partial<BridgeSettings> = {}
  const malformed: (keyof BridgeSettings)[] = []
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { fields, malformed }
  const v = value as Record<string, unknown>
  const choose = <K extends ChoiceField>(key: K, choices: readonly BridgeSettings[K][]): void => {
    if (choices.includes(v[key] as BridgeSettings[K])) fields[key] = v[key] as BridgeSettings[K]
    else if (v[key] !== undefined) malformed.push(key)
  }
  choose('transport', TRANSPORTS)
  choose('interfaceKind', INTERFACE_KINDS)
  choose('framing', FRAMING_NAMES)
  choose('payload', FRAME_PAYLOADS)
  choose('userNetEngine', USER_NET_ENGINES)
  if (typeof v.dhcp === 'boolean') fields.dhcp = v.dhcp
  else if (v.dhcp !== undefined) malformed.push('dhcp')
  if (Array.isArray(v.devices) && v.devices.length <= MAX_EXTRA_DEVICES && v.devices.every((d) => parseExtraDevice(d) !== null)) fields.devices = v.devices.map((d) => parseExtraDevice(d)!)
  else if (v.devices !== undefined) malformed.push('devices')
  for (const key of [...TEXT_FIELDS, ...LATER_TEXT_FIELDS]) {
    const field = v[key]
    if (typeof field === 'string' && field.length <= MAX_FIELD_LENGTH) fields[key] = field
    else if (field !== undefined) malformed.push(key)
  }
  return { fields, malformed }
}

/** A well-formed extra device (not yet validated as a bridge device), else null. */
export function parseExtraDevice(value: unknown): ExtraDeviceSettings | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const v = value as Record<string, unknown>
  if (typeof v.name !== 'string' || v.name.length > MAX_FIELD_LENGTH || typeof v.address !== 'string' || v.address.length > MAX_FIELD_LENGTH) return null
  if (!TRANSPORTS.includes(v.transport as BridgeSettings['transport']) || !(FRAMING_NAMES as readonly unknown[]).includes(v.framing)) return null
  return { name: v.name, transport: v.transport as BridgeSettings['transport'], address: v.address, framing: v.framing as FramingName }
}
