import { describe, expect, it } from 'vitest'
import { dissectFrame, parseHttp, summarizeFrame } from '../../src/engine/decode'
import { ascii, hexFrame, tcpHttpGet, tcpHttpResponse } from './fixtures'

/** A PSH/ACK segment from `src` to `dst` port carrying `text` (checksums left zero). */
function segment(src: number, dst: number, text: string): Uint8Array {
  const hex = (v: number): string => v.toString(16).padStart(4, '0')
  return hexFrame('020000000002 020000000001 0800', `45 00 ${hex(40 + text.length)} 0001 0000 40 06 0000 c0a86401 c0a86402`,
    `${hex(src)} ${hex(dst)} 00000001 00000001 50 18 0400 0000 0000`, ascii(text))
}

describe('HTTP', () => {
  it('recognises a request and a response on port 80', () => {
    expect(summarizeFrame(tcpHttpGet)).toMatchObject({ protocol: 'HTTP', info: 'GET / HTTP/1.0' })
    expect(summarizeFrame(tcpHttpResponse)).toMatchObject({ protocol: 'HTTP', info: 'HTTP/1.0 200 OK' })
    expect(parseHttp(tcpHttpGet, 54, 77)).toEqual({ offset: 54, length: 77, request: true, firstLine: 'GET / HTTP/1.0' })
  })

  it('splits header lines and the body', () => {
    const layer = dissectFrame(tcpHttpResponse)[3]
    expect(layer.children?.map((n) => [n.label, n.start, n.length])).toEqual([
      ['HTTP/1.0 200 OK', 54, 17],
      ['Content-Type: text/html', 71, 25],
      ['Content-Length: 13', 96, 20],
      ['\\r\\n', 116, 2],
      ['File Data: 13 bytes', 118, 13]
    ])
  })

  it('accepts bare LF line ends and a line cut by the segment end', () => {
    expect(summarizeFrame(segment(40000, 80, 'POST /api HTTP/1.1\nHost: x\n\n{}')).info).toBe('POST /api HTTP/1.1')
    expect(summarizeFrame(segment(80, 40000, 'HTTP/1.1 404 Not Fo')).info).toBe('HTTP/1.1 404 Not Fo')
  })

  it('leaves other payloads and other ports to TCP', () => {
    expect(summarizeFrame(segment(40000, 80, 'GETTING / HTTP/1.0\r\n')).protocol).toBe('TCP')
    expect(summarizeFrame(segment(40000, 80, '<html>continued body')).protocol).toBe('TCP')
    expect(summarizeFrame(segment(40000, 8080, 'GET / HTTP/1.0\r\n\r\n')).protocol).toBe('TCP')
  })
})
