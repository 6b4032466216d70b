// The live frame list: a virtualized grid (only the rows on screen exist and are decoded), with
// keyboard selection, follow-latest, and the user's columns fitted to its width.
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useLayoutEffect, useMemo, useRef, type CSSProperties, type KeyboardEvent, type MouseEvent, type WheelEvent } from 'react'
import type { FrameSummary } from '../../../engine/decode'
import type { FrameStore } from '../store/frameStore'
import type { FrameView } from '../store/frameView'
import { formatSeconds, formatUartTime } from './format'
import { COLUMNS, gridTemplate, minRowWidth, type ColumnKey, type ColumnLayout } from './frameColumns'
import { FrameHeader, GRID_PROPERTY } from './FrameHeader'
import { FrameRow } from './FrameRow'
import { afterChange, isAtBottom, nextRow, revealScrollTop, type ScrollMark } from './listNav'
import { LruCache } from './lru'
import { useFittedColumns } from './useFittedColumns'
import { rowTone, summarizeRecord } from './rowSummary'
import './frames.css'

// Keep in step with frames.css (.frame-row, .frame-head heights).
const ROW_HEIGHT = 22
const HEADER_HEIGHT = 24
const OVERSCAN = 6
// Several screens of rows: scrolling back and forth does not decode again.
const SUMMARY_CACHE_ROWS = 2000

/**
 * Scrolls the list from a layout effect and tells the virtualizer at once: the browser's own scroll
 * event comes a frame later, and until then the rows drawn would be those of the old position (a
 * blank band when the move is longer than the overscan).
 */
function scrollListTo(el: HTMLElement, top: number): void {
  const before = el.scrollTop
  el.scrollTop = top
  if (el.scrollTop !== before) el.dispatchEvent(new Event('scroll'))
}

/** A port's device name; a port the status has not named yet (its frames came first) by number. */
function deviceNameOf(names: readonly string[], port: number): string {
  return names[port] ?? `port ${port}`
}

export interface FrameListProps {
  store: FrameStore
  view: FrameView
  /** Bumps when the store or the view changes. */
  version: number
  /** Store time (ms) shown as 0.000000. */
  timeBase: number
  baud: number
  /** Each capture port's (device's) baud, for its records' UART time; a port not in it: `baud`. */
  baudByPort?: readonly number[]
  /** The capture's interface names by port (StatusMessage.interfaces): the Device column. */
  deviceNames: readonly string[]
  /** Absolute store index. */
  selected: number | null
  onSelect(index: number): void
  follow: boolean
  onFollowChange(follow: boolean): void
  columns: ColumnLayout
  onColumnsChange(columns: ColumnLayout): void
  /** Told the shown columns the list has no room for, when that changes. */
  onSqueezedOut(keys: ColumnKey[]): void
}

export function FrameList(props: FrameListProps): React.JSX.Element {
  const { store, view, version, timeBase, baud, baudByPort, deviceNames, selected, onSelect, follow, onFollowChange, columns, onColumnsChange, onSqueezedOut } = props
  const scrollRef = useRef<HTMLDivElement>(null)
  const wrapRef = useRef<HTMLDivElement>(null)
  const shown = useFittedColumns(scrollRef, columns)
  // The columns as the rows' grid: one style and one attribute on the wrapper (frames.css).
  const grid = useMemo(() => {
    const notShown = COLUMNS.filter((c) => !shown.includes(c.key)).map((c) => c.key)
    return {
      style: { [GRID_PROPERTY]: gridTemplate(columns, shown), '--frame-min-width': `${minRowWidth(shown)}px` } as CSSProperties,
      hidden: notShown.join(' '),
      squeezedOut: notShown.filter((key) => !columns.hidden.includes(key)).join(' ')
    }
  }, [columns, shown])
  useEffect(() => {
    onSqueezedOut(grid.squeezedOut ? (grid.squeezedOut.split(' ') as ColumnKey[]) : [])
  }, [grid.squeezedOut, onSqueezedOut])
  const rows = view.rows
  // Absolute indices never come back, so a cache per store stays valid through drops and clears.
  const summaries = useMemo(() => new LruCache<number, FrameSummary>(SUMMARY_CACHE_ROWS), [store])
  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    // Rows start below the sticky header, inside the same scroll element.
    scrollMargin: HEADER_HEIGHT,
    // Not flushSync from its scroll listener: the layout effects below scroll the list and notify that
    // listener (scrollListTo), which must not render from inside React's commit.
    useFlushSync: false
  })

  // What the parent last heard from us, so scroll events report a change once.
  const followRef = useRef(follow)
  useEffect(() => {
    followRef.current = follow
  })
  const reportFollow = (on: boolean): void => {
    if (followRef.current === on) return
    followRef.current = on
    onFollowChange(on)
  }

  // Where the previous change left the list, and its last row's frame: when the store drops its
  // oldest frames every row moves up by as many as were dropped, and that frame's new row says how many.
  const mark = useRef<(ScrollMark & { tailIndex: number; tailRow: number }) | null>(null)
  // Reconnecting to its scroll element (StrictMode's second mount) the virtualizer scrolls to where it
  // last saw the list: that is not the user scrolling, so a new mount starts without a mark.
  useLayoutEffect(() => () => {
    mark.current = null
  }, [])

  // After every change (version): follow the newest row, or keep the frames on screen where they are.
  useLayoutEffect(() => {
    const el = scrollRef.current
    if (!el) return
    const prev = mark.current
    const action = afterChange(follow, prev, el.scrollTop, el.clientHeight, el.scrollHeight, ROW_HEIGHT / 2)
    if (action === 'stop') reportFollow(false)
    if (action === 'start') reportFollow(true)
    if (action === 'bottom' || action === 'start') {
      scrollListTo(el, el.scrollHeight)
    } else if (prev && prev.tailRow >= 0) {
      const row = view.rowOf(prev.tailIndex)
      if (row >= 0 && row !== prev.tailRow) scrollListTo(el, el.scrollTop + (row - prev.tailRow) * ROW_HEIGHT)
    }
    mark.current = {
      scrollTop: el.scrollTop, scrollHeight: el.scrollHeight, tailRow: rows - 1, tailIndex: rows > 0 ? view.indexAt(rows - 1) : -1
    }
  }, [version, rows, follow, view])

  // A new selection (click, keys, or from elsewhere, e.g. an error counter) is scrolled into view.
  useLayoutEffect(() => {
    const el = scrollRef.current
    if (!el || selected === null) return
    const row = view.rowOf(selected)
    if (row < 0) return
    scrollListTo(el, revealScrollTop(row, el.scrollTop, el.clientHeight, ROW_HEIGHT, HEADER_HEIGHT))
  }, [selected, view])

  const onScroll = (): void => {
    const el = scrollRef.current
    if (!el) return
    if (mark.current) mark.current = { ...mark.current, scrollTop: el.scrollTop, scrollHeight: el.scrollHeight }
    reportFollow(isAtBottom(el.scrollTop, el.clientHeight, el.scrollHeight, ROW_HEIGHT / 2))
  }

  // A wheel turn up stops following at once: a batch landing before the scroll event would
  // otherwise snap the list back to the bottom and swallow the turn.
  const onWheel = (e: WheelEvent<HTMLDivElement>): void => {
    if (e.deltaY < 0 && e.currentTarget.scrollTop > 0) reportFollow(false)
  }

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const el = scrollRef.current
    if (!el || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return
    const page = Math.max(1, Math.floor((el.clientHeight - HEADER_HEIGHT) / ROW_HEIGHT) - 1)
    const current = selected === null ? -1 : view.rowOf(selected)
    const firstOnScreen = Math.min(rows - 1, Math.ceil(el.scrollTop / ROW_HEIGHT))
    const next = nextRow(e.key, current, rows, page, firstOnScreen)
    if (next === null) return
    e.preventDefault()
    onSelect(view.indexAt(next))
  }

  // One handler for all rows (event delegation): rows stay cheap and memoizable.
  const onClick = (e: MouseEvent<HTMLDivElement>): void => {
    const row = (e.target as Element).closest('[data-index]')
    if (row) onSelect(Number(row.getAttribute('data-index')))
  }

  const summaryOf = (index: number): FrameSummary =>
    summaries.getOrAdd(index, (i) => summarizeRecord(store.bytes(i), store.error(i), store.wireLength(i), store.framing(i)))

  return (
    <div className="frame-list-wrap" ref={wrapRef} style={grid.style} data-hidden={grid.hidden}>
      <div
        ref={scrollRef} className="frame-list" role="grid" aria-label="Frames" aria-rowcount={rows + 1}
        tabIndex={0} onScroll={onScroll} onWheel={onWheel} onKeyDown={onKeyDown} onClick={onClick}
      >
        <FrameHeader baud={baud} layout={columns} shown={shown} onLayoutChange={onColumnsChange} gridHost={wrapRef} />
        <div role="rowgroup" className="frame-body" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            if (item.index >= rows) return null
            const index = view.indexAt(item.index)
            const wireLength = store.wireLength(index)
            const port = store.port(index)
            // Keyed by position, not frame: while the full store drops its oldest
            // frames every row shows a new one, and reusing the row elements keeps
            // that an update of their text rather than a rebuild of the list.
            return (
              <FrameRow
                key={item.index} index={index} row={item.index} top={item.start - HEADER_HEIGHT} selected={index === selected}
                seq={store.seq(index)} time={formatSeconds(store.time(index), timeBase)} direction={store.direction(index)}
                device={deviceNameOf(deviceNames, port)}
                wireLength={wireLength} uart={formatUartTime(wireLength, baudByPort?.[port] ?? baud)} summary={summaryOf(index)}
                tone={rowTone(store.protocols(index), store.error(index))}
              />
            )
          })}
        </div>
      </div>
      {rows === 0 && <p className="muted-hint frame-empty">{view.filtered ? 'No frames match the filter' : 'No frames yet'}</p>}
    </div>
  )
}
