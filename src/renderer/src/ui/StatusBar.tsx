// The top bar: where the UART is, the TUN, the device, and Start/Stop.
import type { DemoStatus, StatusMessage } from '../../../shared/protocol'

interface Props {
  connected: boolean
  status: StatusMessage | null
  onStart(): void
  onStop(): void
  onSettings(): void
}

function linkText(status: StatusMessage): { text: string; tone: 'ok' | 'wait' | 'bad' | 'off' } {
  const link = status.link
  if (!status.running || !link) return { text: 'stopped', tone: 'off' }
  if (link.status === 'connected') return { text: 'connected', tone: 'ok' }
  if (link.status === 'reconnecting') return { text: `reconnecting ${link.attempt}${link.detail ? ` (${link.detail})` : ''}`, tone: 'bad' }
  return { text: `waiting for ${status.settings.transport === 'demo' ? 'the demo device' : 'QEMU'}${link.detail ? ` (${link.detail})` : ''}`, tone: 'wait' }
}

/** The demo's UART is a private socket nobody needs to see; how its host traffic fares is worth a glance. */
function demoTitle(demo: DemoStatus | null): string {
  if (!demo) return 'The built-in demo device'
  const { rounds, answered } = demo.traffic
  return `The built-in demo device, on ${demo.socket}\nHost traffic: ${rounds} rounds of ping, HTTP GET and UDP echo, ${answered} answers`
}

export function StatusBar({ connected, status, onStart, onStop, onSettings }: Props): React.JSX.Element {
  if (!connected || !status) {
    return (
      <header className="status-bar">
        <span className="brand">Tunscope</span>
        <span className="status-item"><span className="dot bad" /> engine not connected — retrying…</span>
      </header>
    )
  }
  const link = linkText(status)
  const s = status.settings
  const demo = s.transport === 'demo'
  const endpoint = status.link?.endpoint || (s.transport === 'tcp' ? s.tcp : s.socket)
  const tun = status.tun
  return (
    <header className="status-bar">
      <span className="brand">Tunscope</span>
      <span className="status-item uart" data-testid="uart-status" title={demo ? demoTitle(status.demo) : endpoint}>
        <span className={`dot ${link.tone}`} />
        <span className="label">UART</span>{' '}
        {demo ? <span className="demo-name">Demo device</span> : <span className="value ellipsis">{endpoint}</span>}{' '}
        <span className="muted">{link.text}</span>
      </span>
      <span className="status-item" data-testid="tun-status" title={status.tunProblem?.message}>
        <span className={`dot ${status.tunProblem || (tun && !tun.up) ? 'bad' : tun ? 'ok' : 'off'}`} />
        <span className="label">{(tun?.kind === 'tap' ? 'TAP' : 'TUN')}</span>{' '}
        {status.tunProblem?.status === 'missing'
          ? <span className="value">{s.tun} · deleted, waiting for it to return</span>
          : tun
            ? <span className="value">{tun.name} {tun.address ? `${tun.address}/${tun.prefixLength}` : 'no address'} · MTU {tun.mtu} · {tun.up ? 'up' : 'down'}</span>
            : <span className="value muted">{s.tun}</span>}
      </span>
      <span className="status-item" data-testid="device-status">
        <span className={`dot ${status.device.mac ? 'ok' : 'off'}`} />
        <span className="label">Device</span>{' '}
        <span className="value">{status.device.mac ?? 'not seen yet'}{status.device.ipv4 ? ` · ${status.device.ipv4}` : ''}</span>
      </span>
      <span className="spacer" />
      <button type="button" onClick={onSettings}>Settings</button>
      {status.running
        ? <button type="button" className="primary" onClick={onStop}>Stop</button>
        : <button type="button" className="primary" onClick={onStart}>Start</button>}
    </header>
  )
}
