// The first window of a first run: bridge QEMU (with the QEMU options to copy
// for the settings' framing and transport), or a board on a serial port (what
// to plug in), or run the built-in demo device, which shows the inspector
// working in seconds without QEMU. Either choice starts the bridge; Skip just closes.
import { Fragment, useId, useState } from 'react'

import type { BridgeSettings } from '../../../shared/protocol'
import { absoluteSocketPath, startCommands } from '../lib/qemuCommand'
import { CopyButton } from './CopyButton'
import { SocketPathInput } from './SocketPathInput'

interface Props {
  settings: BridgeSettings
  /** Where relative socket paths live: the command line shows the full path, so QEMU can start from any folder. */
  baseDir: string
  onStart(settings: BridgeSettings): void
  onSkip(): void
  chooseSocketPath?: (current: string) => Promise<string | null>
}

export function StartScreen({ settings, baseDir, onStart, onSkip, chooseSocketPath }: Props): React.JSX.Element {
  const nic = settings.transport !== 'serial' && settings.framing === 'qemu'
  return (
    <main className="start-screen" aria-labelledby="start-title">
      <h1 id="start-title">{nic ? 'Where is your QEMU machine?' : 'Where is your ESP32?'}</h1>
      <p className="muted">
        {nic
          ? "Tunscope bridges the machine's network card to a TUN on this machine and shows every frame."
          : "Tunscope bridges the device's UART Ethernet tunnel to a TUN on this machine and shows every frame."}
      </p>
      <div className={nic ? 'start-choices wide-first' : 'start-choices'}>
        {settings.transport === 'serial'
          ? <SerialChoice settings={settings} onStart={onStart} />
          : <QemuChoice settings={settings} baseDir={baseDir} onStart={onStart} chooseSocketPath={chooseSocketPath} />}
        <DemoChoice settings={settings} onStart={onStart} />
      </div>
      <button type="button" className="link start-skip" onClick={onSkip}>Skip</button>
    </main>
  )
}

/** The transports the QEMU card offers: a unix socket either way, or TCP either way; any other starts as the usual socket. */
const QEMU_TRANSPORTS: readonly BridgeSettings['transport'][] = ['unix', 'listen', 'tcp', 'tcp-listen']

/** What the QEMU card says Tunscope does, by transport. */
const QEMU_WAYS: Partial<Record<BridgeSettings['transport'], string>> = {
  unix: 'QEMU serves a unix socket and Tunscope connects to it.',
  listen: 'Tunscope listens on a unix socket and QEMU connects to it.',
  tcp: 'QEMU listens on TCP and Tunscope connects to it.',
  'tcp-listen': 'Tunscope listens on TCP and QEMU connects to it.'
}

function QemuChoice({ settings, baseDir, onStart, chooseSocketPath }: Omit<Props, 'onSkip'>): React.JSX.Element {
  const transport = QEMU_TRANSPORTS.includes(settings.transport) ? settings.transport : 'unix'
  const overTcp = transport === 'tcp' || transport === 'tcp-listen'
  const [endpoint, setEndpoint] = useState(overTcp ? settings.tcp : settings.socket)
  const endpointId = useId()
  const shown = endpoint.trim() === '' ? (overTcp ? 'HOST:PORT' : 'PATH') : overTcp ? endpoint : absoluteSocketPath(baseDir, endpoint)
  const commands = startCommands({ ...settings, transport }, shown)
  const firmware = settings.framing === 'qemu' ? 'machine running in QEMU, its network card' : 'firmware running in QEMU, its UART1'
  return (
    <form
      className="start-card"
      aria-labelledby="start-qemu"
      onSubmit={(e) => { e.preventDefault(); onStart({ ...settings, transport, ...(overTcp ? { tcp: endpoint } : { socket: endpoint }) }) }}
    >
      <h2 id="start-qemu">Connect to QEMU</h2>
      <p>Bridge your {firmware} on {overTcp ? 'TCP' : 'a unix socket'}: {QEMU_WAYS[transport]}</p>
      <label htmlFor={endpointId}>{overTcp ? 'TCP address' : 'Socket path'}</label>
      {overTcp
        ? <input id={endpointId} value={endpoint} placeholder="localhost:5555" spellCheck={false} onChange={(e) => setEndpoint(e.target.value)} />
        : <SocketPathInput id={endpointId} value={endpoint} onChange={setEndpoint} chooseSocketPath={chooseSocketPath} />}
      {commands.map((command, i) => (
        <Fragment key={command.key}>
          <div className="start-command-head">
            <span>{command.title}</span>
            <CopyButton text={command.text} />
          </div>
          <pre className="start-command" data-testid={i === 0 ? 'qemu-command' : `qemu-command-${command.key}`}>{command.text}</pre>
        </Fragment>
      ))}
      <div className="start-action">
        <button type="submit" className="primary" disabled={endpoint.trim() === ''}>Connect</button>
      </div>
    </form>
  )
}

/** A board on a serial adapter: what to plug in, and the port to open. */
function SerialChoice({ settings, onStart }: Pick<Props, 'settings' | 'onStart'>): React.JSX.Element {
  const [path, setPath] = useState(settings.serial)
  const pathId = useId()
  return (
    <form
      className="start-card"
      aria-labelledby="start-serial"
      onSubmit={(e) => { e.preventDefault(); onStart({ ...settings, transport: 'serial', serial: path }) }}
    >
      <h2 id="start-serial">Connect to the board</h2>
      <p>Bridge the board itself, over a USB serial adapter at {settings.baud} baud.</p>
      <ul data-testid="serial-steps">
        <li>Wire the board's UART1 to the adapter: its TX to the adapter's RX, its RX to TX, and GND to GND.</li>
        <li>Plug the adapter into this machine; it shows up as /dev/ttyUSB0 or /dev/ttyACM0 (ls /dev/ttyUSB* /dev/ttyACM*).</li>
        <li>Not in the dialout group? sudo usermod -aG dialout $USER, then log in again.</li>
      </ul>
      <label htmlFor={pathId}>Serial port</label>
      <input id={pathId} value={path} placeholder="/dev/ttyUSB0" spellCheck={false} onChange={(e) => setPath(e.target.value)} />
      <div className="start-action">
        <button type="submit" className="primary" disabled={path.trim() === ''}>Connect</button>
      </div>
    </form>
  )
}

function DemoChoice({ settings, onStart }: Pick<Props, 'settings' | 'onStart'>): React.JSX.Element {
  return (
    <section className="start-card" aria-labelledby="start-demo">
      <h2 id="start-demo">Run the demo device</h2>
      <p>A simulated ESP32 inside Tunscope, on a UART paced at the real baud: the inspector at work without QEMU.</p>
      <ul className="muted">
        <li>This machine pings it, fetches its web page and echoes UDP through the real TUN; without admin rights, it fetches the page through the user-mode network's forwarded port.</li>
        <li>It sends a telemetry reading every 2 s, shown beside the counters.</li>
        <li>The Faults menu puts junk, bad lengths and a full line on the wire.</li>
      </ul>
      <div className="start-action">
        <button type="button" className="primary" onClick={() => onStart({ ...settings, transport: 'demo' })}>Run the demo</button>
      </div>
    </section>
  )
}
