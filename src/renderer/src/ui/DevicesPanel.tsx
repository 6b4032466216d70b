// The bridge's devices, at the top of the side panel: "All devices" (the totals), then a row per
// device with its link's state, name, framing, address and rates. A row selected (click, or the
// arrow keys) has the chart and the counters below show its own numbers. Devices are added
// (AddDeviceDialog) and removed (×) while the bridge runs, or before Start.
import { memo, useRef, type KeyboardEvent } from 'react'

import type { StatsMessage, StatusMessage } from '../../../shared/protocol'
import { allDevicesRow, deviceRows, type DeviceRow } from './deviceRows'
import { bytesRate, plural } from './format'
import './devices.css'

interface Props {
  status: StatusMessage
  stats: StatsMessage | null
  /** The selected device's name; null: all devices. */
  selected: string | null
  onSelect(name: string | null): void
  onAdd(): void
  onRemove(name: string): void
  /** Why the engine refused the last removal (one sentence), or null. */
  refusal: string | null
}

/** What the row's second line says: the device's address once seen, else its link's state or how it is reached. */
function secondLine(row: DeviceRow, running: boolean): string {
  if (row.seen) return row.address
  if (!running) return row.endpoint
  return row.tone === 'ok' ? 'not seen yet' : row.state
}

function Rates({ toDevice, fromDevice }: { toDevice: number | null; fromDevice: number | null }): React.JSX.Element {
  return (
    <span className="device-rates">
      <span className="toDevice">→ {toDevice === null ? '—' : bytesRate(toDevice)}</span>
      <span className="fromDevice">← {fromDevice === null ? '—' : bytesRate(fromDevice)}</span>
    </span>
  )
}

/** Re-renders with a new status or new stats (about once a second). */
export const DevicesPanel = memo(function DevicesPanel({ status, stats, selected, onSelect, onAdd, onRemove, refusal }: Props): React.JSX.Element {
  const rows = deviceRows(status, stats)
  const all = allDevicesRow(status, stats, rows)
  const list = useRef<HTMLUListElement>(null)
  const names: (string | null)[] = [null, ...rows.map((r) => r.name)]
  const current = selected !== null && rows.some((r) => r.name === selected) ? selected : null

  // Up and Down move the selection (and the focus) from row to row, Home and End to the ends.
  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>): void => {
    const at = names.indexOf(current)
    const next = e.key === 'ArrowDown' ? at + 1 : e.key === 'ArrowUp' ? at - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? names.length - 1 : null
    if (next === null || !(e.target as HTMLElement).matches('.device-select')) return
    e.preventDefault()
    const to = Math.max(0, Math.min(names.length - 1, next))
    onSelect(names[to]!)
    list.current?.querySelectorAll<HTMLButtonElement>('.device-select')[to]?.focus()
  }

  const allState = all.running ? `${all.connected} of ${all.count} connected` : `${plural(all.count, 'device')} · stopped`
  return (
    <section className="panel devices" data-testid="devices" aria-labelledby="devices-title">
      <div className="panel-head">
        <h2 id="devices-title">Devices</h2>
        <button type="button" className="small" onClick={onAdd}>Add device</button>
      </div>
      <ul className="device-list" ref={list} onKeyDown={onKeyDown} aria-labelledby="devices-title">
        <li className={current === null ? 'device all is-selected' : 'device all'} data-testid="device-all">
          <button
            type="button" className="device-select" aria-pressed={current === null}
            aria-label={`All devices: ${allState}`} onClick={() => onSelect(null)}
          >
            <span className="device-name">All devices</span>
            <span className="device-address muted">{allState}</span>
            <Rates toDevice={all.toDevice} fromDevice={all.fromDevice} />
          </button>
          <span className="device-remove-space" />
        </li>
        {rows.map((row) => {
          const isSelected = row.name === current
          const line = secondLine(row, status.running)
          return (
            <li key={row.name} className={`device${isSelected ? ' is-selected' : ''}${row.conflict ? ' has-conflict' : ''}`} data-testid="device-row" data-device={row.name}>
              <button
                type="button" className="device-select" aria-pressed={isSelected}
                aria-label={`${row.name}: ${row.state}, ${row.framing}, ${line}${row.conflict ? `, conflict: ${row.conflict}` : ''}`}
                title={`${row.name} · ${row.state} · ${row.endpoint}`}
                onClick={() => onSelect(row.name)}
              >
                <span className="device-name">
                  <span className={`dot ${row.tone}`} title={row.state} />
                  <span className="name-text">{row.name}</span>
                  <span className="device-framing muted">{row.framing}</span>
                </span>
                <span className={row.seen ? 'device-address' : 'device-address muted'} data-testid="device-address">
                  <span className="address-text">{line}</span>
                  {row.conflict && <span className="device-conflict-mark" title={row.conflict} aria-hidden="true">⚠</span>}
                </span>
                <Rates toDevice={row.toDevice} fromDevice={row.fromDevice} />
              </button>
              {row.removable
                ? <button type="button" className="device-remove" aria-label={`Remove ${row.name}`} title={`Remove ${row.name} from the bridge`} onClick={() => onRemove(row.name)}>×</button>
                : <span className="device-remove-space" />}
              {isSelected && row.conflict && <p className="device-conflict" role="note" data-testid="device-conflict">{row.conflict}</p>}
            </li>
          )
        })}
      </ul>
      {refusal && <p className="device-refusal" role="alert" data-testid="device-refused">{refusal}</p>}
    </section>
  )
})
