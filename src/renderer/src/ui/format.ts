// Text for the frame list and the details tree: times, UART line time, direction, framing errors.
// Pure, no DOM: unit-tested in node (test/renderer/uiFormat.test.ts).
import { FRAMING_ERROR_TEXT, framingErrorKind } from '../../../engine/counters'

/** 8N1 framing: a start bit, 8 data bits and a stop bit per byte. */
export const UART_BITS_PER_BYTE = 10

/** How long `bytes` take on a UART line at `baud`, in ms; 0 when the baud is unknown. */
export function uartMs(bytes: number, baud: number): number {
  return baud > 0 ? (bytes * UART_BITS_PER_BYTE * 1000) / baud : 0
}

/** `12.3 ms`, `0.17 ms` under a millisecond (fast bauds), `—` when the baud is unknown. */
export function formatUartTime(bytes: number, baud: number): string {
  if (!(baud > 0)) return '—'
  const ms = uartMs(bytes, baud)
  return `${ms >= 1 || ms === 0 ? ms.toFixed(1) : ms.toPrecision(2)} ms`
}

/** Seconds since `baseMs`, 6 decimals (µs), as Wireshark's Time column. */
export function formatSeconds(timeMs: number, baseMs: number): string {
  return ((timeMs - baseMs) / 1000).toFixed(6)
}

/** 115200 → '115 200': long numbers stay readable on a projector. */
export function groupDigits(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f')
}

/** Direction 0 is from the device, 1 is to it (engine/capture/ring Direction). */
export function directionText(direction: number): string {
  return direction === 1 ? '→ device' : '← device'
}

/** A rate as the throughput table says it: 345 B/s, 12.3 kB/s, 1.2 MB/s. */
export function bytesRate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(1)} MB/s` : x >= 1e4 ? `${(x / 1e3).toFixed(1)} kB/s` : `${Math.round(x)} B/s`
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** The sentence for a FramingError code; a code this UI does not know is named, not hidden. */
export function framingErrorText(code: number): string {
  const kind = framingErrorKind(code)
  return kind ? FRAMING_ERROR_TEXT[kind] : `unknown framing error ${code}`
}

/** The Info column of a junk record. */
export function framingErrorInfo(code: number, skipped: number): string {
  return `Framing error: ${framingErrorText(code)}; ${plural(skipped, 'byte')} skipped`
}
