// The first window of a first run: bridge QEMU (with the command line to start
// it) or run the built-in demo device, which shows the inspector working in
// seconds without QEMU. Either choice starts the bridge; Skip just closes.
import { useId, useState } from 'react'

import type { BridgeSettings } from '../../../shared/protocol'
import { absoluteSocketPath, qemuCommandLine } from '../lib/qemuCommand'
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
  return (
    <main className="start-screen" aria-labelledby="start-title">
      <h1 id="start-title">Where is your ESP32?</h1>
      <p className="muted">Tunscope bridges the device's UART Ethernet tunnel to a TUN on this machine and shows every frame.</p>
      <div className="start-choices">
        <QemuChoice settings={settings} baseDir={baseDir} onStart={onStart} chooseSocketPath={chooseSocketPath} />
        <DemoChoice settings={settings} onStart={onStart} />
      </div>
      <button type="button" className="link start-skip" onClick={onSkip}>Skip</button>
    </main>
  )
}

function QemuChoice({ settings, baseDir, onStart, chooseSocketPath }: Omit<Props, 'onSkip'>): React.JSX.Element {
  const [socket, setSocket] = useState(settings.socket)
  const socketId = useId()
  const command = qemuCommandLine(socket ? absoluteSocketPath(baseDir, socket) : 'PATH')
  return (
    <form
      className="start-card"
      aria-labelledby="start-qemu"
      onSubmit={(e) => { e.preventDefault(); onStart({ ...settings, transport: 'unix', socket }) }}
    >
      <h2 id="start-qemu">Connect to QEMU</h2>
      <p>Bridge your firmware running in QEMU, with its UART1 served on a unix socket.</p>
      <label htmlFor={socketId}>Socket path</label>
      <SocketPathInput id={socketId} value={socket} onChange={setSocket} chooseSocketPath={chooseSocketPath} />
      <div className="start-command-head">
        <span>Start QEMU like this</span>
        <CopyButton text={command} />
      </div>
      <pre className="start-command" data-testid="qemu-command">{command}</pre>
      <div className="start-action">
        <button type="submit" className="primary" disabled={socket.trim() === ''}>Connect</button>
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
        <li>This machine pings it, fetches its web page and echoes UDP through the real TUN.</li>
        <li>It sends a telemetry reading every 2 s, shown beside the counters.</li>
        <li>The Faults menu puts junk, bad lengths and a full line on the wire.</li>
      </ul>
      <div className="start-action">
        <button type="button" className="primary" onClick={() => onStart({ ...settings, transport: 'demo' })}>Run the demo</button>
      </div>
    </section>
  )
}
