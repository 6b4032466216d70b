// One row of the frame list: one cell per column (frameColumns.ts); the list's grid template
// sizes them and hides the hidden ones (frames.css), so a column change never touches a row.
import { memo } from 'react'
import type { FrameSummary } from '../../../engine/decode'
import { directionText } from './format'
import type { RowTone } from './rowSummary'

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
  /** The device's name (StatusMessage.interfaces). */
  device: string
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
      <div role="gridcell" data-col="dev" title={p.device}>{p.device}</div>
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
