// Adds a device to the bridge: its name, how it is reached (the settings' choices, the demo
// included: a second simulated board, which sends its telemetry to the first), its address and
// framing. The engine adds it to the settings and, while running, to the bridge at once; a device
// it refuses comes back here with its sentence.
import { useState } from 'react'

import { FRAMING_NAMES, framingFor } from '../../../engine/framing'
import type { FramingName } from '../../../engine/framing/framing'
import type { BridgeSettings, ExtraDeviceSettings } from '../../../shared/protocol'
import { DEVICE_NAME } from '../lib/filter'
import { TRANSPORTS } from './SettingsDialog'
import { SocketPathInput } from './SocketPathInput'

interface Props {
  /** A free name to start from. */
  suggestedName: string
  /** The names the list has already (the engine would refuse them). */
  taken: readonly string[]
  /** Why the engine refused the device last sent (one sentence), or null. */
  refusal: string | null
  /** Sent, waiting for the engine's answer. */
  pending: boolean
  onAdd(device: ExtraDeviceSettings): void
  onCancel(): void
  chooseSocketPath?: (current: string) => Promise<string | null>
}

type Transport = BridgeSettings['transport']

/** The address field for each transport: its label and an example; none for the demo. */
const ADDRESS: Record<Exclude<Transport, 'demo'>, { label: string; hint: string }> = {
  unix: { label: 'Socket path', hint: 'temp/esp32-uart2.sock' },
  listen: { label: 'Socket path', hint: 'temp/esp32-uart2.sock' },
  tcp: { label: 'TCP address', hint: 'localhost:5556' },
  'tcp-listen': { label: 'Listen on', hint: '127.0.0.1:5556' },
  serial: { label: 'Serial port', hint: '/dev/ttyUSB1' }
}

/** Each framing in a few words (the dialog is narrow; Settings says more). */
const FRAMING_TEXT: Record<FramingName, string> = {
  esp32: "the firmware's UART tunnel",
  qemu: 'a QEMU NIC (-netdev stream)',
  slip: 'Zephyr, slattach, tunslip6'
}

/** The settings' choices, the demo's reworded: here it is a second simulated device beside the first. */
const CHOICES: [Transport, string][] = TRANSPORTS.map(([transport, text]) =>
  [transport, transport === 'demo' ? 'Demo device: another simulated board on the bridge (it sends its telemetry to the first)' : text])

export function AddDeviceDialog({ suggestedName, taken, refusal, pending, onAdd, onCancel, chooseSocketPath }: Props): React.JSX.Element {
  const [name, setName] = useState(suggestedName)
  const [transport, setTransport] = useState<Transport>('unix')
  const [addresses, setAddresses] = useState<Partial<Record<Transport, string>>>({})
  const [framing, setFraming] = useState<FramingName>('esp32')
  const [problem, setProblem] = useState<string | null>(null)
  const address = addresses[transport] ?? ''
  const setAddress = (value: string): void => setAddresses((a) => ({ ...a, [transport]: value }))

  const submit = (): void => {
    const trimmed = name.trim()
    // What the engine would refuse anyway, said before asking it.
    if (!DEVICE_NAME.test(trimmed)) return setProblem('Give the device a name: letters, digits, ".", "_" or "-", up to 32.')
    if (taken.includes(trimmed)) return setProblem(`A device named ${trimmed} is on the list already; give this one another name.`)
    if (transport !== 'demo' && address.trim() === '') return setProblem(`Give the device's ${ADDRESS[transport].label.toLowerCase()}.`)
    setProblem(null)
    onAdd({ name: trimmed, transport, address: transport === 'demo' ? '' : address.trim(), framing })
  }
  const shown = problem ?? (pending ? null : refusal)
  const field = transport === 'demo' ? null : ADDRESS[transport]

  return (
    <div className="modal-backdrop" role="presentation" onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <form className="modal settings add-device" role="dialog" aria-label="Add device" onSubmit={(e) => { e.preventDefault(); submit() }}>
        <h2>Add device</h2>
        {shown && <p className="refusal" role="alert" data-testid="device-add-refused">{shown}</p>}
        <label>
          <span>Name</span>
          <input name="name" value={name} placeholder="sensor" spellCheck={false} autoFocus maxLength={32} onChange={(e) => setName(e.target.value)} />
        </label>
        <fieldset className="transport">
          <legend>Reach the device</legend>
          {CHOICES.map(([choice, text]) => (
            <label key={choice} className="radio">
              <input type="radio" name="device-transport" value={choice} checked={transport === choice} onChange={() => setTransport(choice)} /> {text}
            </label>
          ))}
        </fieldset>
        {field && (transport === 'unix' || transport === 'listen'
          ? (
            <label>
              <span>{field.label}</span>
              <SocketPathInput value={address} onChange={setAddress} chooseSocketPath={chooseSocketPath} />
            </label>
          )
          : (
            <label>
              <span>{field.label}</span>
              <input name="address" value={address} placeholder={field.hint} spellCheck={false} onChange={(e) => setAddress(e.target.value)} />
            </label>
          ))}
        <label>
          <span>Framing</span>
          <select name="framing" value={framing} onChange={(e) => setFraming(e.target.value as FramingName)}>
            {FRAMING_NAMES.map((f) => <option key={f} value={f}>{`${framingFor(f).title.replace(/ \(.*\)$/, '')}: ${FRAMING_TEXT[f]}`}</option>)}
          </select>
        </label>
        <p className="muted settings-note">It joins the running bridge at once (the other devices carry on), and starts with the others from now on.</p>
        <div className="buttons">
          <span className="spacer" />
          <button type="button" onClick={onCancel}>Cancel</button>
          <button type="submit" className="primary" disabled={pending}>{pending ? 'Adding…' : 'Add'}</button>
        </div>
      </form>
    </div>
  )
}
