// The frame list's header row: the column titles, on the rows' grid (frames.css), each with a
// grip on its right edge to drag its width (double-click: its default width). While dragging,
// only the list's grid template changes (a CSS property on `gridHost`); the new layout is
// handed over when the pointer is released.
import { memo, type PointerEvent } from 'react'

import { groupDigits } from './format'
import { COLUMNS, gridTemplate, resetColumnWidth, resizeColumn, type ColumnKey, type ColumnLayout } from './frameColumns'

const HEADER_TIPS: Partial<Record<ColumnKey, string>> = {
  time: 'Seconds since the first frame',
  dev: 'The device the frame came from or went to (filter: dev == NAME)',
  dir: '→ device: host to device; ← device: device to host',
  len: 'Bytes on the wire, length prefix included'
}

/** The CSS property holding the list's grid template (frames.css). */
export const GRID_PROPERTY = '--frame-columns'

interface Props {
  baud: number
  layout: ColumnLayout
  shown: readonly ColumnKey[]
  onLayoutChange(layout: ColumnLayout): void
  /** The element whose GRID_PROPERTY the rows follow. */
  gridHost: React.RefObject<HTMLElement | null>
}

// Memoized: a new batch of frames re-renders the list, not its header.
export const FrameHeader = memo(function FrameHeader({ baud, layout, shown, onLayoutChange, gridHost }: Props): React.JSX.Element {
  const uartTip = baud > 0 ? `Time the record takes on the UART line at ${groupDigits(baud)} baud` : 'No baud set'

  const startDrag = (key: ColumnKey, e: PointerEvent<HTMLSpanElement>): void => {
    if (e.button !== 0) return
    e.preventDefault()
    const grip = e.currentTarget
    const startX = e.clientX
    const startWidth = grip.parentElement!.getBoundingClientRect().width
    let next = layout
    grip.setPointerCapture(e.pointerId)
    const move = (ev: globalThis.PointerEvent): void => {
      next = resizeColumn(layout, key, startWidth + ev.clientX - startX)
      gridHost.current?.style.setProperty(GRID_PROPERTY, gridTemplate(next, shown))
    }
    const end = (): void => {
      grip.removeEventListener('pointermove', move)
      grip.removeEventListener('pointerup', end)
      grip.removeEventListener('pointercancel', end)
      if (next !== layout) onLayoutChange(next)
    }
    grip.addEventListener('pointermove', move)
    grip.addEventListener('pointerup', end)
    grip.addEventListener('pointercancel', end)
  }

  return (
    <div role="row" className="frame-row frame-head" aria-rowindex={1}>
      {COLUMNS.map((c) => (
        <div key={c.key} role="columnheader" data-head={c.key} title={c.key === 'uart' ? uartTip : HEADER_TIPS[c.key]}>
          {c.title}
          {c.key !== 'info' && (
            <span
              className="col-grip" aria-hidden="true" title={`Drag to resize ${c.title}; double-click for its default width`}
              onPointerDown={(e) => startDrag(c.key, e)} onDoubleClick={() => onLayoutChange(resetColumnWidth(layout, c.key))}
            />
          )}
        </div>
      ))}
    </div>
  )
})
