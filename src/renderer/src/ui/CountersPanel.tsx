// Framing errors by kind (count and last occurrence, clickable to the frame),
// then drops by cause and the other totals: all devices', or the one selected
// in the device list. Counts come from the engine and are exact even when the
// list could not show every frame.
import { memo } from 'react'

import { BEFORE_DEVICE_TEXT, DROP_CAUSES, DROP_TEXT, FRAMING_ERROR_TEXT, FramingError } from '../../../engine/counters'
import type { Framing } from '../../../engine/framing/framing'
import type { CountersSnapshot } from '../../../engine/counters'
import type { LastErrors } from '../state/useEngine'

interface Props {
  counters: CountersSnapshot | null
  /** Frames the list never got (the display could not keep up), all devices'; 0 for one device's numbers. */
  notShown: number
  /** The device whose counters these are; absent: the totals. */
  device?: string
  /** The running (or chosen) framing: its error kinds are listed. */
  framing: Framing
  lastErrors: LastErrors
  timeBase: number
  onSelect(index: number): void
}

const count = (n: number): string => n.toLocaleString('en-US')
const frames = (n: number): string => `${count(n)} ${n === 1 ? 'frame' : 'frames'}`

/** Re-renders with new stats (once a second), not with every frame batch. */
export const CountersPanel = memo(function CountersPanel({ counters: c, notShown, device, framing, lastErrors, timeBase, onSelect }: Props): React.JSX.Element {
  const of = device ? <span className="panel-device" title={device}> · {device}</span> : null
  return (
    <section className="panel counters" data-testid="counters" data-device={device}>
      <h2>Framing errors{of}</h2>
      <table>
        <tbody>
          {framing.errorKinds.map((kind) => {
            const n = c?.framingErrors[kind] ?? 0
            // Counts are the running bridge's; an occurrence from before a restart is not one of them.
            const last = n > 0 ? lastErrors.get(FramingError[kind]) : undefined
            return (
              <tr key={kind} data-testid={`framing-${kind}`} className={n > 0 ? 'has-errors' : ''}>
                <th>{FRAMING_ERROR_TEXT[kind]}</th>
                <td className="num">{count(n)}</td>
                <td className="last">
                  {last ? <button type="button" className="link" onClick={() => onSelect(last.index)}>last at {((last.time - timeBase) / 1000).toFixed(3)} s</button> : null}
                </td>
              </tr>
            )
          })}
          <tr data-testid="bytes-skipped"><th>bytes skipped</th><td className="num">{count(c?.bytesSkipped ?? 0)}</td><td /></tr>
        </tbody>
      </table>
      <h2>Totals{of}</h2>
      <table>
        <tbody>
          <tr data-testid="total-toDevice"><th>→ device</th><td className="num">{frames(c?.toDevice.frames ?? 0)}</td><td className="num">{count(c?.toDevice.bytes ?? 0)} B</td></tr>
          <tr data-testid="total-fromDevice"><th>← device</th><td className="num">{frames(c?.fromDevice.frames ?? 0)}</td><td className="num">{count(c?.fromDevice.bytes ?? 0)} B</td></tr>
          <tr><th>reconnects</th><td className="num">{count(c?.reconnects ?? 0)}</td><td /></tr>
          {(c?.textFromDevice ?? 0) > 0 && <tr title="tunslip6's control messages and debug lines: listed, never forwarded"><th>text from device</th><td className="num">{count(c!.textFromDevice)}</td><td /></tr>}
          {(c?.arpProbes ?? 0) > 0 && <tr title="ARP requests the bridge sent for the device's address to learn its MAC before it spoke"><th>ARP probes</th><td className="num">{count(c!.arpProbes)}</td><td /></tr>}
          <tr data-testid="before-device" title="Packets for the device before it first connected, such as the kernel's IPv6 router solicitation on a new TUN: nobody to send them to yet, not a drop"><th>{BEFORE_DEVICE_TEXT}</th><td className="num">{count(c?.beforeDevice ?? 0)}</td><td /></tr>
          {notShown > 0 && <tr><th>not listed (display could not keep up)</th><td className="num">{count(notShown)}</td><td /></tr>}
        </tbody>
      </table>
      <h2>Drops{of}</h2>
      <table>
        <tbody>
          {DROP_CAUSES.map((cause) => (
            <tr key={cause} data-testid={`drop-${cause}`} className={(c?.drops[cause] ?? 0) > 0 ? 'has-errors' : ''}>
              <th>{DROP_TEXT[cause]}</th><td className="num">{count(c?.drops[cause] ?? 0)}</td><td />
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
})
