// The top bar: where the UART is, the TUN (or the user-mode network, its forwards as links and their
// editor), the device, and Start/Stop. Short of room (a laptop's window), each item narrows to an
// ellipsis with its full text in a tooltip, and the TUN's MTU goes first (styles.css); nothing draws
// over anything else.
import { framingFor } from '../../../engine/framing'
import type { FramingName } from '../../../engine/framing/framing'
import type { DemoStatus, StatusMessage } from '../../../shared/protocol'
import { ForwardLink } from './ForwardLink'
import { ForwardsEditor } from './ForwardsEditor'

interface Props {
  connected: boolean
  status: StatusMessage | null
  /** Absent while another screen offers its own way to start (the start screen). */
  onStart?: () => void
  onStop(): void
  onSettings(): void
  /** Why the engine refused the forwards last sent (one sentence), or null. */
  forwardsRefused: string | null
  /** Sends the user-mode network's whole new list of forwards. */
  onSetForwards(forwards: string): void
}

/** The link's name in the bar, by framing; its tooltip names the framing in full. */
const LINK_LABEL: Record<FramingName, string> = { esp32: 'UART', qemu: 'QEMU NIC', slip: 'SLIP' }

/** What a link that is not up yet waits for, by transport; QEMU for the others. */
const WAITING_FOR: Partial<Record<StatusMessage['settings']['transport'], string>> = { demo: 'the demo device', serial: 'the serial port' }

function linkText(status: StatusMessage): { text: string; tone: 'ok' | 'wait' | 'bad' | 'off' } {
  const link = status.link
  if (!status.running || !link) return { text: 'stopped', tone: 'off' }
  if (link.status === 'connected') return { text: 'connected', tone: 'ok' }
  if (link.status === 'reconnecting') return { text: `reconnecting ${link.attempt}${link.detail ? ` (${link.detail})` : ''}`, tone: 'bad' }
  return { text: `waiting for ${WAITING_FOR[status.settings.transport] ?? 'QEMU'}${link.detail ? ` (${link.detail})` : ''}`, tone: 'wait' }
}

/** The demo's UART is a private socket nobody needs to see; how its host traffic fares is worth a glance. */
function demoTitle(demo: DemoStatus | null): string {
  if (!demo) return 'The built-in demo device'
  const { rounds, answered } = demo.traffic
  return `The built-in demo device, on ${demo.socket}\nHost traffic: ${rounds} rounds of ping, HTTP GET and UDP echo, ${answered} answers`
}

/** The host side without a TUN: the user-mode network (passt or QEMU's libslirp), its TCP forwards as links to open, and their editor while it runs. */
function UserNetItem({ status, forwardsRefused, onSetForwards }: { status: StatusMessage } & Pick<Props, 'forwardsRefused' | 'onSetForwards'>): React.JSX.Element {
  const userNet = status.running ? status.userNet : null
  const forwards = userNet?.forwards ?? []
  const title = userNet
    ? `User-mode network (${userNet.engine}), no TUN · ${forwards.length > 0 ? `forwards: ${forwards.map((f) => f.spec).join(', ')}` : 'no forwards'}`
    : `User-mode network, no TUN · ${status.running ? 'starting' : `stopped; forwards: ${status.settings.forwards.trim() || 'none'}`}`
  return (
    <span className="status-item user-net" data-testid="tun-status" title={status.tunProblem?.message}>
      <span className={`dot ${!status.running ? 'off' : status.tunProblem ? 'bad' : userNet ? 'ok' : 'wait'}`} />
      <span className="text" title={title}>
        <span className="label">User-mode network</span>{' '}
        {userNet
          ? (forwards.length > 0
              ? <span className="forwards" data-testid="forward-links">{forwards.map((f) => <ForwardLink key={f.spec} forward={f} />)}</span>
              : <span className="muted">no forwards</span>)
          : <span className="value muted">{status.running ? 'starting…' : status.settings.forwards}</span>}
      </span>
      {userNet && <ForwardsEditor forwards={forwards} refusal={forwardsRefused} onChange={onSetForwards} />}
    </span>
  )
}

export function StatusBar({ connected, status, onStart, onStop, onSettings, forwardsRefused, onSetForwards }: Props): React.JSX.Element {
  if (!connected || !status) {
    return (
      <header className="status-bar">
        <span className="brand">Tunscope</span>
        <span className="status-item"><span className="dot bad" /><span className="text">engine not connected — retrying…</span></span>
      </header>
    )
  }
  const link = linkText(status)
  const s = status.settings
  const demo = s.transport === 'demo'
  const endpoint = status.link?.endpoint || (s.transport === 'tcp' || s.transport === 'tcp-listen' ? s.tcp : s.transport === 'serial' ? s.serial : s.socket)
  // A stopped bridge holds no TUN: what it last saw of one is no longer news.
  const tun = status.running ? status.tun : null
  const tunLabel = (tun?.kind ?? s.interfaceKind) === 'tap' ? 'TAP' : 'TUN'
  const tunAddress = tun && (tun.address ? `${tun.address}/${tun.prefixLength}` : 'no address')
  const framing = framingFor(s.framing, s.payload)
  const linkTitle = `${framing.title}: ${demo ? demoTitle(status.demo) : endpoint}`
  // After Stop the device last seen stays named, marked as such, until the next Start. A link
  // carrying bare IP (SLIP without TAP) has no MAC: its address names the device.
  const seen = [status.device.mac, status.device.ipv4].filter((part) => part !== null)
  const lastSeen = seen.length > 0 && !status.device.live
  // With several devices this names the main one; the device list names them all.
  const others = status.devices.length - 1
  const device = `${seen.length > 0 ? seen.join(' · ') : 'not seen yet'}${lastSeen ? ' · last seen' : ''}${others > 0 ? ` · ${others} more` : ''}`
  return (
    <header className="status-bar">
      <span className="brand">Tunscope</span>
      {/* Each item's own title is its state (the tests read it); the full text is the inner text's title. */}
      <span className="status-item uart" data-testid="uart-status" title={linkTitle}>
        <span className={`dot ${link.tone}`} />
        <span className="text">
          <span className="label">{LINK_LABEL[s.framing]}</span>{' '}
          {demo ? <span className="demo-name">Demo device</span> : <span className="value">{endpoint}</span>}{' '}
          <span className="muted">{link.text}</span>
        </span>
      </span>
      {status.userNet || s.interfaceKind === 'user'
        ? <UserNetItem status={status} forwardsRefused={forwardsRefused} onSetForwards={onSetForwards} />
        : (
          <span className="status-item" data-testid="tun-status" title={status.tunProblem?.message}>
            <span className={`dot ${!status.running ? 'off' : status.tunProblem || (tun && !tun.up) ? 'bad' : tun ? 'ok' : 'off'}`} />
            {status.tunProblem?.status === 'missing'
              ? <span className="text" title={`${s.tun} · deleted, waiting for it to return`}><span className="label">{tunLabel}</span> <span className="value">{s.tun} · deleted, waiting for it to return</span></span>
              : tun
                ? (
                  <span className="text" title={`${tun.name} ${tunAddress} · MTU ${tun.mtu} · ${tun.up ? 'up' : 'down'}`}>
                    <span className="label">{tunLabel}</span>{' '}
                    <span className="value">{tun.name} {tunAddress}<span className="tun-mtu"> · MTU {tun.mtu}</span> · {tun.up ? 'up' : 'down'}</span>
                  </span>
                )
                : <span className="text"><span className="label">{tunLabel}</span> <span className="value muted">{s.tun}</span></span>}
          </span>
          )}
      <span className="status-item" data-testid="device-status">
        <span className={`dot ${seen.length > 0 && !lastSeen ? 'ok' : 'off'}`} />
        <span className="text" title={device}><span className="label">Device</span> <span className={lastSeen ? 'value muted' : 'value'}>{device}</span></span>
      </span>
      <span className="spacer" />
      <span className="status-actions">
        <button type="button" onClick={onSettings}>Settings</button>
        {status.running
          ? <button type="button" className="primary" onClick={onStop}>Stop</button>
          : onStart && <button type="button" className="primary" onClick={onStart}>Start</button>}
      </span>
    </header>
  )
}
