// One row of the frame list, and the header row that shares its grid columns (frames.css).
import { memo } from 'react'
import type { FrameSummary } from '../../../engine/decode'
import { directionText, groupDigits } from './format'
import type { RowTone } from './rowSummary'

export type ColumnKey = 'no' | 'time' | 'dir' | 'src' | 'dst' | 'proto' | 'len' | 'uart' | 'info'

const COLUMNS: readonly { key: ColumnKey; title: string }[] = [
  { key: 'no', title: 'No.' },
  { key: 'time', title: 'Time' },
  { key: 'dir', title: 'Dir' },
  { key: 'src', title: 'Source' },
  { key: 'dst', title: 'Destination' },
  { key: 'proto', title: 'Protocol' },
  { key: 'len', title: 'Length' },
  { key: 'uart', title: 'UART' },
  { key: 'info', title: 'Info' }
]

const HEADER_TIPS: Partial<Record<ColumnKey, string>> = {
  time: 'Seconds since the first frame',
  dir: '→ device: host to device; ← device: device to host',
  len: 'Bytes on the wire, length prefix included'
}

export function FrameHeader(props: { baud: number }): React.JSX.Element {
  const uartTip = props.baud > 0 ? `Time the record takes on the UART line at ${groupDigits(props.baud)} baud` : 'No baud set'
  return (
    <div role="row" className="frame-row frame-head" aria-rowindex={1}>
      {COLUMNS.map((c) => (
        <div key={c.key} role="columnheader" data-head={c.key} title={c.key === 'uart' ? uartTip : HEADER_TIPS[c.key]}>
          {c.title}
        </div>
      ))}
    </div>
  )
}

export interface FrameRowProps {
  /** Absolute store index. */
  index: number
  /** Position in the list (0-based), for aria-rowindex and the alternating background. */
  row: number
  /** px from the top of the list body. */
  top: number
  selected: boolean
  seq: number
  time: string
  direction: number
  wireLength: number
  uart: string
  summary: FrameSummary
  tone: RowTone
}

// Memoized on plain props: a new batch re-renders only rows whose frame or position changed.
export const FrameRow = memo(function FrameRow(p: FrameRowProps): React.JSX.Element {
  const s = p.summary
  return (
    <div
      role="row" className={p.row % 2 ? 'frame-row is-odd' : 'frame-row'} data-index={p.index} data-tone={p.tone}
      aria-selected={p.selected} aria-rowindex={p.row + 2} style={{ transform: `translateY(${p.top}px)` }}
    >
      <div role="gridcell" data-col="no">{p.seq + 1}</div>
      <div role="gridcell" data-col="time">{p.time}</div>
      <div role="gridcell" data-col="dir">{directionText(p.direction)}</div>
      <div role="gridcell" data-col="src" title={s.source}>{s.source}</div>
      <div role="gridcell" data-col="dst" title={s.destination}>{s.destination}</div>
      <div role="gridcell" data-col="proto" title={s.protocol}>{s.protocol}</div>
      <div role="gridcell" data-col="len">{p.wireLength}</div>
      <div role="gridcell" data-col="uart">{p.uart}</div>
      <div role="gridcell" data-col="info" title={s.info}>{s.info}</div>
    </div>
  )
})
