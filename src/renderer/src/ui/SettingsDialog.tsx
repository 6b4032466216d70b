// The bridge settings, remembered by the engine between runs. The engine
// validates them (the same rules as the command line) on Save and on Start;
// settings it refuses come back here with its sentence.
import { useState } from 'react'

import { FRAMING_NAMES, framingFor, payloadsOf } from '../../../engine/framing'
import type { FramePayload, FramingName } from '../../../engine/framing/framing'
import { DEFAULT_DHCP_LEASE } from '../../../engine/services/dhcpServer'
import { DEFAULT_SETTINGS, type BridgeSettings } from '../../../shared/protocol'
import { SocketPathInput } from './SocketPathInput'

interface Props {
  settings: BridgeSettings
  /** Why the engine refused these settings (one sentence), or null. */
  refusal: string | null
  onSave(settings: BridgeSettings, start: boolean): void
  onCancel(): void
  chooseSocketPath?: (current: string) => Promise<string | null>
}

type TextField = Exclude<keyof BridgeSettings, 'transport' | 'interfaceKind' | 'framing' | 'payload' | 'dhcp' | 'devices'>

export const TRANSPORTS: [BridgeSettings['transport'], string][] = [
  ['unix', "QEMU's unix socket (-serial unix:PATH,server)"],
  ['listen', 'listen; QEMU connects (-serial unix:PATH)'],
  ['tcp', "QEMU's TCP server (-serial tcp::PORT,server)"],
  ['tcp-listen', 'listen on TCP; QEMU connects (-netdev stream,server=off)'],
  ['serial', 'Serial port: a board on a USB serial adapter (8N1, raw)'],
  ['demo', 'Built-in demo device (a simulated board speaking the framing below, no QEMU)']
]

const INTERFACE_KINDS: [BridgeSettings['interfaceKind'], string][] = [
  ['tun', 'TUN (IP packets; Tunscope adds and strips the Ethernet header)'],
  ['tap', 'TAP (Ethernet frames unchanged)'],
  ['user', 'No admin rights: user-mode network (passt or QEMU\'s libslirp; no TUN, host ports forwarded to the device)']
]
/** The user-mode network's engines, and when each is the one to take. */
const USER_NET_ENGINES: [BridgeSettings['userNetEngine'], string][] = [
  ['auto', 'Automatic: passt where installed, else QEMU\'s libslirp'],
  ['passt', 'passt (faster; the gateway keeps the Gateway MAC)'],
  ['slirp', 'QEMU\'s libslirp (for a device that speaks first on a forwarded port)']
]
/** What SLIP's records carry, as the devices that send each call it. */
const PAYLOAD_USES: Record<FramePayload, string> = {
  ethernet: 'Ethernet frames (Zephyr with SLIP_TAP, its default)',
  ip: 'IP packets (Linux slattach, tunslip6, Zephyr without SLIP_TAP)'
}

/** What each framing is for, after its name. */
const FRAMING_USES: Record<FramingName, string> = {
  esp32: 'the firmware\'s UART tunnel, 2-byte length (-serial)',
  qemu: 'a QEMU NIC, 4-byte length (-netdev stream, -nic socket)',
  slip: 'Zephyr, Linux slattach, tunslip6 (RFC 1055 over a UART)'
}

/** What `tunscope tun create` names each kind in its examples; a name left at one becomes the other's with the kind (the user-mode network has none, and leaves it be). */
const USUAL_NAMES: Record<BridgeSettings['interfaceKind'], string> = { tun: 'tun0', tap: 'tap0', user: '' }

/** The fields after the interface's name; their hints follow the interface kind, the transport and the framing. */
function fields({ interfaceKind: kind, transport, framing, payload }: BridgeSettings): { key: TextField; label: string; hint: string }[] {
  const bareIp = payloadsOf(framing).length > 1 && payload === 'ip'
  return [
    { key: 'hostIp', label: 'Host address', hint: '192.168.100.1/24' },
    { key: 'deviceIp', label: 'Device address', hint: '192.168.100.2' },
    { key: 'deviceMac', label: 'Device MAC', hint: `empty: ${framingFor(framing, payload).defaultDeviceMac}, until learned` },
    { key: 'maxFrame', label: 'Max frame', hint: bareIp ? 'bytes, the largest IP packet' : 'bytes, Ethernet header included (firmware: 1500)' },
    { key: 'mtu', label: 'MTU', hint: kind === 'tap' || bareIp ? 'empty: max frame' : 'empty: max frame − 14' },
    { key: 'gwMac', label: 'Gateway MAC', hint: '02:00:00:00:00:01' },
    { key: 'baud', label: 'Baud', hint: transport === 'serial' ? "the port's speed: 115200, 921600, …" : '115200 (for utilization)' }
  ]
}

export function SettingsDialog({ settings, refusal, onSave, onCancel, chooseSocketPath }: Props): React.JSX.Element {
  const [draft, setDraft] = useState(settings)
  const set = (key: keyof BridgeSettings, value: string): void => setDraft((d) => ({ ...d, [key]: value }))
  const chooseKind = (kind: BridgeSettings['interfaceKind']): void =>
    setDraft((d) => ({ ...d, interfaceKind: kind, tun: d.tun === USUAL_NAMES[d.interfaceKind] && USUAL_NAMES[kind] ? USUAL_NAMES[kind] : d.tun }))
  // A max frame left at one framing's default becomes the other's with the framing (or its payload).
  const chooseFraming = (framing: FramingName, payload: FramePayload): void =>
    setDraft((d) => ({
      ...d,
      framing,
      payload,
      maxFrame: d.maxFrame === String(framingFor(d.framing, d.payload).limits.defaultMaxFrame) ? String(framingFor(framing, payload).limits.defaultMaxFrame) : d.maxFrame
    }))
  const input = (key: TextField, label: string, hint: string): React.JSX.Element => (
    <label key={key}>
      <span>{label}</span>
      <input name={key} value={draft[key]} placeholder={hint} spellCheck={false} onChange={(e) => set(key, e.target.value)} />
    </label>
  )
  return (
    <div className="modal-backdrop" role="presentation" onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <form className="modal settings" role="dialog" aria-label="Settings" onSubmit={(e) => { e.preventDefault(); onSave(draft, true) }}>
        <h2>Settings</h2>
        {refusal && <p className="refusal" role="alert" data-testid="settings-refused">{refusal}</p>}
        <Choices legend="Reach the device" name="transport" choices={TRANSPORTS} value={draft.transport} onChange={(value) => set('transport', value)} />
        {draft.transport === 'tcp' && input('tcp', 'TCP address', 'localhost:5555')}
        {draft.transport === 'tcp-listen' && input('tcp', 'Listen on', '127.0.0.1:5555')}
        {draft.transport === 'serial' && input('serial', 'Serial port', '/dev/ttyUSB0')}
        {(draft.transport === 'unix' || draft.transport === 'listen') && (
          <label>
            <span>Socket path</span>
            <SocketPathInput value={draft.socket} onChange={(path) => set('socket', path)} chooseSocketPath={chooseSocketPath} />
          </label>
        )}
        <label>
          <span>Framing</span>
          <select name="framing" value={draft.framing} onChange={(e) => chooseFraming(e.target.value as FramingName, draft.payload)}>
            {FRAMING_NAMES.map((name) => <option key={name} value={name}>{`${framingFor(name).title.replace(/ \(.*\)$/, '')}: ${FRAMING_USES[name]}`}</option>)}
          </select>
        </label>
        {payloadsOf(draft.framing).length > 1 && (
          <label>
            <span>SLIP carries</span>
            <select name="payload" value={draft.payload} onChange={(e) => chooseFraming(draft.framing, e.target.value as FramePayload)}>
              {payloadsOf(draft.framing).map((payload) => <option key={payload} value={payload}>{PAYLOAD_USES[payload]}</option>)}
            </select>
          </label>
        )}
        {draft.framing === 'slip' && input('ipv6Prefix', 'IPv6 prefix', "empty: none; answers tunslip6's ?P, e.g. fd00:1::/64")}
        {draft.transport === 'demo' && <p className="muted settings-note">The demo device serves a socket of its own, inside Tunscope; it still needs the host interface below.</p>}
        <Choices legend="Host interface" name="interfaceKind" choices={INTERFACE_KINDS} value={draft.interfaceKind} onChange={chooseKind} />
        {draft.interfaceKind === 'user'
          ? (
            <>
              {input('forwards', 'Port forwards', 'tcp:8080:80 udp:7007:7')}
              <p className="muted settings-note field-hint" data-testid="forwards-hint">
                tcp:8080:80 forwards the host&apos;s 127.0.0.1:8080 to the device&apos;s port 80; udp:7007:7 a UDP port;
                tcp:0.0.0.0:8080:80 listens on every address. Separate them with spaces.
              </p>
              <label>
                <span>Engine</span>
                <select name="userNetEngine" value={draft.userNetEngine} onChange={(e) => setDraft((d) => ({ ...d, userNetEngine: e.target.value as BridgeSettings['userNetEngine'] }))}>
                  {USER_NET_ENGINES.map(([engine, text]) => <option key={engine} value={engine}>{text}</option>)}
                </select>
              </label>
            </>
          )
          : input('tun', draft.interfaceKind === 'tap' ? 'TAP name' : 'TUN name', USUAL_NAMES[draft.interfaceKind])}
        {fields(draft).map((f) => input(f.key, f.label, f.hint))}
        <fieldset className="dhcp">
          <legend>DHCP</legend>
          <label className="radio">
            <input type="checkbox" name="dhcp" checked={draft.dhcp} onChange={(e) => setDraft((d) => ({ ...d, dhcp: e.target.checked }))} /> Serve DHCP to the device
            (it is offered the device address, the host as its router)
          </label>
          {draft.dhcp && input('dhcpLease', 'Lease', `seconds (empty: ${DEFAULT_DHCP_LEASE})`)}
          {draft.dhcp && input('dns', 'DNS servers', 'empty: none; e.g. 192.168.100.1, 9.9.9.9')}
        </fieldset>
        <div className="buttons">
          {/* The other devices are the device list's (DevicesPanel), not the form's: Defaults keeps them. */}
          <button type="button" onClick={() => setDraft((d) => ({ ...DEFAULT_SETTINGS, devices: d.devices }))}>Defaults</button>
          <span className="spacer" />
          <button type="button" onClick={onCancel}>Cancel</button>
          <button type="button" onClick={() => onSave(draft, false)}>Save</button>
          <button type="submit" className="primary">Save and start</button>
        </div>
      </form>
    </div>
  )
}

/** One radio button per choice, under a legend; the fieldset's class is the field's name. */
function Choices<V extends string>({ legend, name, choices, value, onChange }: {
  legend: string
  name: 'transport' | 'interfaceKind'
  choices: [V, string][]
  value: V
  onChange(value: V): void
}): React.JSX.Element {
  return (
    <fieldset className={name}>
      <legend>{legend}</legend>
      {choices.map(([choice, text]) => (
        <label key={choice} className="radio">
          <input type="radio" name={name} value={choice} checked={value === choice} onChange={() => onChange(choice)} /> {text}
        </label>
      ))}
    </fieldset>
  )
}
