// The details tree of one stored record: the Frame and record nodes this app adds (the record named
// after its framing), then the decoder's Ethernet tree moved past the record header, so every byte
// range is relative to the record's first byte (what the hex dump shows). Pure, no DOM.
import { dissectFrame, type FieldNode } from '../../../engine/decode'
import { field } from '../../../engine/decode/tree'
import { hexBytes } from '../../../engine/decode/bytes'
import { framingErrorKind, isTextRecord, TextRecord } from '../../../engine/counters'
import type { Framing } from '../../../engine/framing/framing'
import { DEFAULT_FRAMING, framingFor } from '../../../engine/framing'
import { directionText, formatSeconds, formatUartTime, framingErrorText, groupDigits, plural } from './format'

export interface RecordInfo {
  seq: number
  /** ms after the engine's time origin. */
  time: number
  direction: number
  error: number
  wireLength: number
  /** The framing the record came in (default: the ESP32 tunnel's). */
  framing?: Framing
  /** The raw wire record (its record header included), or the junk bytes kept of a framing error. */
  bytes: Uint8Array
  /** The device it came from or went to (StatusMessage.interfaces), where known. */
  device?: string
}

/** A copy of `nodes` with every byte range moved `by` bytes. */
export function shiftNodes(nodes: readonly FieldNode[], by: number): FieldNode[] {
  return nodes.map((n) => {
    const moved: FieldNode = { ...n, start: n.start + by }
    if (n.children) moved.children = shiftNodes(n.children, by)
    return moved
  })
}

function uartTimeText(bytes: number, baud: number): string {
  return baud > 0 ? `${formatUartTime(bytes, baud)} at ${groupDigits(baud)} baud` : 'unknown (no baud set)'
}

function frameNode(r: RecordInfo, baud: number, timeBase: number): FieldNode {
  const seconds = formatSeconds(r.time, timeBase)
  const direction = directionText(r.direction)
  const children = [
    field(`Arrival time: ${seconds} s`, 0, 0),
    ...(r.device !== undefined ? [field(`Device: ${r.device}`, 0, 0)] : []),
    field(`Direction: ${direction} (${r.direction === 1 ? 'host to device' : 'device to host'})`, 0, 0),
    field(`Bytes on wire: ${r.wireLength}`, 0, 0),
    field(`UART time: ${uartTimeText(r.wireLength, baud)}`, 0, 0)
  ]
  // An escaped record (SLIP) is whole with fewer bytes than the wire carried; a cut one is not.
  if (r.bytes.length < r.wireLength && !(r.error === 0 && r.framing?.encoder)) children.push(field(`Bytes shown: ${r.bytes.length} of ${r.wireLength}`, 0, 0))
  return field(`Frame ${r.seq + 1}: ${plural(r.wireLength, 'byte')} on wire, ${seconds} s, ${direction}`, 0, r.bytes.length, children)
}

function recordNode(r: RecordInfo, framing: Framing, baud: number): FieldNode {
  const { recordName } = framing
  if (framing.encoder) return encodedRecordNode(r, framing, baud)
  const prefixBytes = framing.header.bytes
  if (r.bytes.length < prefixBytes) {
    return field(`${recordName} [Malformed]`, 0, r.bytes.length, undefined, `Too short for its ${prefixBytes}-byte length prefix`)
  }
  let length = 0
  for (let i = 0; i < prefixBytes; i++) length = length * 256 + r.bytes[i]!
  const held = r.bytes.length - prefixBytes
  const problem = length === held ? undefined : `The prefix says ${length} bytes, the record holds ${held}`
  return field(`${recordName}, length ${length}`, 0, prefixBytes, [
    field(`Length: ${length}`, 0, prefixBytes, undefined, problem),
    field(`UART time: ${uartTimeText(r.wireLength, baud)}`, 0, 0)
  ])
}

/** A record whose frame was transformed on the wire (SLIP's escaping): what the line carried for it. */
function encodedRecordNode(r: RecordInfo, framing: Framing, baud: number): FieldNode {
  const length = r.bytes.length
  const carries = framing.payload === 'ip' ? 'IP packet' : 'Ethernet frame'
  return field(`${framing.recordName}, ${plural(length, 'byte')} of ${carries}, ${plural(r.wireLength, 'byte')} on the wire`, 0, 0, [
    field(`Frame length: ${length}`, 0, 0),
    field(`Escapes and delimiters: ${plural(r.wireLength - length, 'byte')}`, 0, 0),
    field(`UART time: ${uartTimeText(r.wireLength, baud)}`, 0, 0)
  ])
}

/** Text a framing carried beside frames (tunslip6's): shown whole, never forwarded. */
function textNode(r: RecordInfo): FieldNode {
  const what = r.error === TextRecord.control ? 'Control message' : 'Debug text'
  const text = new TextDecoder().decode(r.bytes)
  return field(`SLIP ${what.toLowerCase()}: ${JSON.stringify(text)}`, 0, r.bytes.length, [
    field(`${what} (tunslip6): not forwarded to the host`, 0, 0),
    field(`Bytes on wire: ${r.wireLength}`, 0, 0)
  ])
}

function framingErrorNode(r: RecordInfo): FieldNode {
  const text = framingErrorText(r.error)
  const shown = r.bytes.length
  const children = [
    field(`Kind: ${text} (${framingErrorKind(r.error) ?? 'unknown'}, code ${r.error})`, 0, 0),
    field(`Bytes skipped: ${r.wireLength}`, 0, 0)
  ]
  // Long junk runs are kept only in part (the frame node says how much).
  const junk = shown < r.wireLength ? `Junk (the first ${shown} bytes)` : 'Junk'
  if (shown > 0) children.push(field(`${junk}: ${hexBytes(r.bytes, 0, shown)}`, 0, shown))
  return field(`UART framing error: ${text}`, 0, shown, children, text)
}

/** The whole tree for one record; byte ranges index `r.bytes`. */
export function recordTree(r: RecordInfo, baud: number, timeBase: number): FieldNode[] {
  if (isTextRecord(r.error)) return [frameNode(r, baud, timeBase), textNode(r)]
  if (r.error !== 0) return [frameNode(r, baud, timeBase), framingErrorNode(r)]
  const framing = r.framing ?? framingFor(DEFAULT_FRAMING)
  const headerBytes = framing.header.bytes
  const nodes = [frameNode(r, baud, timeBase), recordNode(r, framing, baud)]
  if (r.bytes.length <= headerBytes) return nodes
  return nodes.concat(shiftNodes(dissectFrame(r.bytes.subarray(headerBytes), framing.payload), headerBytes))
}

/** Paths name nodes by their child positions from the top: '2', '2.0', '2.0.3'. */
export function nodeAtPath(nodes: readonly FieldNode[], path: string): FieldNode | null {
  let level: readonly FieldNode[] | undefined = nodes
  let node: FieldNode | null = null
  for (const part of path.split('.')) {
    node = level?.[Number(part)] ?? null
    if (!node) return null
    level = node.children
  }
  return node
}

/** The paths above `path`, outermost first: '2.0.3' → ['2', '2.0']. */
export function ancestorPaths(path: string): string[] {
  const parts = path.split('.')
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('.'))
}

/**
 * The node that best explains byte `offset`: the narrowest range holding it, the deeper node on a
 * tie (a flag inside its flags byte); null when no node covers it.
 */
export function narrowestPathAt(nodes: readonly FieldNode[], offset: number): string | null {
  let best: { path: string; length: number; depth: number } | null = null
  const visit = (level: readonly FieldNode[], prefix: string, depth: number): void => {
    level.forEach((node, i) => {
      const path = prefix ? `${prefix}.${i}` : String(i)
      if (node.length > 0 && offset >= node.start && offset < node.start + node.length) {
        if (!best || node.length < best.length || (node.length === best.length && depth > best.depth)) {
          best = { path, length: node.length, depth }
        }
      }
      if (node.children) visit(node.children, path, depth + 1)
    })
  }
  visit(nodes, '', 0)
  return (best as { path: string } | null)?.path ?? null
}

/** The problem to show after a node's label, unless the label already says it. */
export function problemNote(node: FieldNode): string | null {
  return node.problem && !node.label.includes(node.problem) ? node.problem : null
}
