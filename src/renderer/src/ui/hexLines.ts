// The hex dump's lines as text runs: each line is split into at most three runs (before, inside,
// after the highlighted range) so the dump renders a few spans per line, never one per byte.
// Pure, no DOM.

export const BYTES_PER_LINE = 16
/** Characters of a full hex line: 16 two-digit bytes, single spaces, a double space after the 8th. */
export const HEX_LINE_CHARS = BYTES_PER_LINE * 3

export interface TextRun {
  text: string
  marked: boolean
}

export interface ByteRange {
  start: number
  length: number
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** The offset column: 4 hex digits, more past 64 KiB. */
export function offsetText(offset: number): string {
  return offset.toString(16).padStart(4, '0')
}

/** The part of `range` within [lineStart, lineEnd), as [from, to); [lineEnd, lineEnd) for none. */
export function clipRange(range: ByteRange | null, lineStart: number, lineEnd: number): [number, number] {
  if (!range || range.length <= 0) return [lineEnd, lineEnd]
  const from = Math.max(range.start, lineStart)
  const to = Math.min(range.start + range.length, lineEnd)
  return from < to ? [from, to] : [lineEnd, lineEnd]
}

/** Appends text to the last run if it has the same marking, else starts a run. */
function push(runs: TextRun[], text: string, marked: boolean): void {
  if (!text) return
  const last = runs[runs.length - 1]
  if (last && last.marked === marked) last.text += text
  else runs.push({ text, marked })
}

/** Hex of bytes [lineStart, lineEnd), bytes [from, to) marked with the separators between them, not around them. */
export function hexRuns(bytes: Uint8Array, lineStart: number, lineEnd: number, from: number, to: number): TextRun[] {
  const runs: TextRun[] = []
  for (let i = lineStart; i < lineEnd; i++) {
    const k = i - lineStart
    push(runs, k === 0 ? '' : k === BYTES_PER_LINE / 2 ? '  ' : ' ', i > from && i < to)
    push(runs, HEX[bytes[i]!]!, i >= from && i < to)
  }
  return runs
}

/** ASCII of bytes [lineStart, lineEnd), '.' for anything not printable, [from, to) marked. */
export function asciiRuns(bytes: Uint8Array, lineStart: number, lineEnd: number, from: number, to: number): TextRun[] {
  const runs: TextRun[] = []
  for (let i = lineStart; i < lineEnd; i++) {
    const c = bytes[i]!
    push(runs, c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.', i >= from && i < to)
  }
  return runs
}

/** The byte (0–15) under character column `col` of a hex line; -1 on a separator. */
export function byteAtHexColumn(col: number): number {
  const half = (BYTES_PER_LINE / 2) * 3 // the second half starts one column later
  const c = col < half ? col : col - half - 1
  if (col < 0 || c < 0 || c % 3 === 2) return -1
  const k = Math.floor(c / 3) + (col < half ? 0 : BYTES_PER_LINE / 2)
  return k < BYTES_PER_LINE ? k : -1
}
