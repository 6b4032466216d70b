// A frame's bytes as offset / hex / ASCII lines, a byte range highlighted in both columns.
// Rendered a line at a time from a few text runs (hexLines.ts): a 1502-byte frame is 94 lines,
// and a new highlight re-renders only the lines it enters or leaves.
import { memo, useLayoutEffect, useRef, type MouseEvent } from 'react'
import {
  asciiRuns, BYTES_PER_LINE, byteAtHexColumn, clipRange, HEX_LINE_CHARS, hexRuns, offsetText, type ByteRange, type TextRun
} from './hexLines'
import './frames.css'

export interface HexDumpProps {
  bytes: Uint8Array
  highlight: ByteRange | null
  /** A click on a byte, in the hex or the ASCII column; its offset in `bytes`. */
  onPickByte?(offset: number): void
}

export function HexDump(props: HexDumpProps): React.JSX.Element {
  const { bytes, highlight, onPickByte } = props
  const rootRef = useRef<HTMLDivElement>(null)
  const shown = highlight !== null && highlight.length > 0 && highlight.start < bytes.length
  const firstLine = shown ? highlight.start - (highlight.start % BYTES_PER_LINE) : -1

  useLayoutEffect(() => {
    if (firstLine >= 0) rootRef.current?.querySelector(`[data-line="${firstLine}"]`)?.scrollIntoView({ block: 'nearest' })
  }, [firstLine, bytes])

  // The column's width is set in ch (frames.css), so the character under the pointer is its x / ch.
  const onClick = (e: MouseEvent<HTMLDivElement>): void => {
    const target = e.target as Element
    const part = target.closest<HTMLElement>('[data-part]')
    const line = target.closest<HTMLElement>('[data-line]')
    if (!onPickByte || !part || !line) return
    const hex = part.dataset.part === 'hex'
    const rect = part.getBoundingClientRect()
    const col = Math.floor(((e.clientX - rect.left) / rect.width) * (hex ? HEX_LINE_CHARS : BYTES_PER_LINE))
    const k = hex ? byteAtHexColumn(col) : col
    const offset = Number(line.dataset.line) + k
    if (k >= 0 && k < BYTES_PER_LINE && offset < bytes.length) onPickByte(offset)
  }

  const lines: React.JSX.Element[] = []
  for (let start = 0; start < bytes.length; start += BYTES_PER_LINE) {
    const end = Math.min(start + BYTES_PER_LINE, bytes.length)
    const [from, to] = clipRange(highlight, start, end)
    lines.push(<HexLine key={start} bytes={bytes} start={start} end={end} from={from} to={to} />)
  }
  return (
    <div ref={rootRef} className="hexdump" data-testid="hexdump" aria-label="Frame bytes" onClick={onClick}>
      {lines.length > 0 ? lines : <p className="muted-hint">No bytes</p>}
    </div>
  )
}

interface HexLineProps {
  bytes: Uint8Array
  start: number
  end: number
  /** The highlighted part of this line, [from, to); from === to for none. */
  from: number
  to: number
}

const HexLine = memo(function HexLine({ bytes, start, end, from, to }: HexLineProps): React.JSX.Element {
  return (
    <div className="hex-line" data-line={start}>
      <span className="hex-offset">{offsetText(start)}</span>
      <span className="hex-bytes" data-part="hex">{runs(hexRuns(bytes, start, end, from, to))}</span>
      <span className="hex-ascii" data-part="ascii">{runs(asciiRuns(bytes, start, end, from, to))}</span>
    </div>
  )
})

function runs(list: TextRun[]): React.ReactNode[] {
  return list.map((r, i) => (r.marked ? <mark key={i}>{r.text}</mark> : r.text))
}
