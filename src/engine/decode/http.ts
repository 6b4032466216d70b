// HTTP/1.x start lines, recognised only at the start of a TCP payload (no stream reassembly).
import { available, printable } from './bytes'
import { field, type FieldNode } from './tree'

export const HTTP_PORT = 80
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']
const STATUS_PREFIX = 'HTTP/1.'

export interface HttpMessage {
  offset: number
  length: number
  request: boolean
  firstLine: string // without the line ending
}

function startsWith(bytes: Uint8Array, offset: number, end: number, text: string): boolean {
  if (end - offset < text.length) return false
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false
  return true
}

/** End of the line starting at `pos` (before CR LF or LF), or `end` when the segment stops first. */
function lineEnd(bytes: Uint8Array, pos: number, end: number): number {
  const lf = bytes.subarray(pos, end).indexOf(0x0a)
  if (lf < 0) return end
  return lf > 0 && bytes[pos + lf - 1] === 0x0d ? pos + lf - 1 : pos + lf
}

/** Undefined unless the payload starts with a request line ('GET / HTTP/1.0') or a status line ('HTTP/1.0 200 OK'). */
export function parseHttp(bytes: Uint8Array, offset: number, length: number): HttpMessage | undefined {
  const end = offset + available(bytes, offset, length)
  const request = METHODS.some((m) => startsWith(bytes, offset, end, m + ' '))
  if (!request && !startsWith(bytes, offset, end, STATUS_PREFIX)) return undefined
  return { offset, length: end - offset, request, firstLine: printable(bytes, offset, lineEnd(bytes, offset, end)) }
}

export function dissectHttp(bytes: Uint8Array, m: HttpMessage): FieldNode {
  const end = m.offset + m.length
  const children: FieldNode[] = []
  let pos = m.offset
  while (pos < end) {
    const stop = lineEnd(bytes, pos, end)
    const next = Math.min(end, stop + (bytes[stop] === 0x0d ? 2 : 1))
    if (stop === pos) {
      // The empty line: headers end, the body follows.
      children.push(field('\\r\\n', pos, next - pos))
      if (next < end) children.push(field(`File Data: ${end - next} bytes`, next, end - next))
      break
    }
    children.push(field(printable(bytes, pos, stop), pos, next - pos))
    pos = next
  }
  return field('Hypertext Transfer Protocol', m.offset, m.length, children)
}
