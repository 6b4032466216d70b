// HTTP/1.0 on port 80, one request per connection: `/` is a small status
// page with the device's live counters, `/bytes/N` exactly N bytes of pattern
// data for download demos. The body is produced as the send buffer frees up,
// never held whole in memory.
import type { DeviceStack } from '../stack/deviceStack.js'
import type { TcpApp, TcpConnection } from '../stack/tcp/tcpStack.js'
import { fillPattern } from './bytePattern.js'

export const HTTP_PORT = 80
const MAX_REQUEST = 4096
/** /bytes/N serves at most this much (a demo download, not a disk filler). */
export const MAX_BYTES = 64 * 1024 * 1024
const CHUNK = 1460
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export interface StatusPage {
  /** The status page as HTML, from the device's counters now. */
  html(): string
  /** The same counters as JSON. */
  json(): string
}

interface Body {
  length: number
  sent: number
  /** Fills `target` with the body's bytes from `position` on. */
  fill(target: Uint8Array, position: number): void
}

export function serveHttp(stack: DeviceStack, page: StatusPage, onRequest: () => void): void {
  stack.tcp.listen(HTTP_PORT, () => httpConnection(page, onRequest))
}

function httpConnection(page: StatusPage, onRequest: () => void): TcpApp {
  let request = ''
  let head: Uint8Array | null = null
  let body: Body | null = null
  let closing = false
  const chunk = new Uint8Array(CHUNK)

  const send = (conn: TcpConnection): void => {
    if (head) {
      const taken = conn.write(head)
      head = taken < head.length ? head.subarray(taken) : null
      if (head) return
    }
    while (body && body.sent < body.length && conn.writable > 0) {
      const part = chunk.subarray(0, Math.min(CHUNK, body.length - body.sent, conn.writable))
      body.fill(part, body.sent)
      body.sent += conn.write(part)
    }
    if (body && body.sent === body.length && !closing) {
      closing = true
      conn.close()
    }
  }

  return {
    onReadable(conn) {
      const data = conn.read()
      if (head || body) return // one request per connection; the rest is ignored
      request += decoder.decode(data, { stream: true })
      if (!/\r?\n\r?\n/.test(request)) {
        if (request.length > MAX_REQUEST) respond(conn, 431, 'text/plain', 'Request header too large.\n', false)
        return
      }
      onRequest()
      route(conn, request)
    },
    onWritable: send,
    onPeerClosed(conn) {
      if (head || body || closing) return
      closing = true
      conn.close() // the peer gave up before a whole request
    }
  }

  function route(conn: TcpConnection, text: string): void {
    const [method = '', target = ''] = text.split(/\r?\n/, 1)[0]!.split(' ')
    const withBody = method !== 'HEAD'
    if (method !== 'GET' && method !== 'HEAD') return respond(conn, 501, 'text/plain', `Method ${method} is not served here; use GET.\n`, withBody)
    if (target === '/') return respond(conn, 200, 'text/html; charset=utf-8', page.html(), withBody)
    if (target === '/status.json') return respond(conn, 200, 'application/json', page.json(), withBody)
    const bytes = /^\/bytes\/(\d{1,9})$/.exec(target)
    if (!bytes) return respond(conn, 404, 'text/plain', `Nothing at ${target}; try / or /bytes/1024.\n`, withBody)
    const n = Number(bytes[1])
    if (n > MAX_BYTES) return respond(conn, 400, 'text/plain', `/bytes/ serves at most ${MAX_BYTES} bytes.\n`, withBody)
    start(conn, 200, 'application/octet-stream', n, { length: withBody ? n : 0, sent: 0, fill: fillPattern })
  }

  function respond(conn: TcpConnection, status: number, type: string, text: string, withBody: boolean): void {
    const content = encoder.encode(text)
    start(conn, status, type, content.length, {
      length: withBody ? content.length : 0,
      sent: 0,
      fill: (target, position) => target.set(content.subarray(position, position + target.length))
    })
  }

  function start(conn: TcpConnection, status: number, type: string, length: number, content: Body): void {
    head = encoder.encode(`HTTP/1.0 ${status} ${REASONS[status]}\r\nServer: tunscope-demo\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`)
    body = content
    send(conn)
  }
}

const REASONS: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 431: 'Request Header Fields Too Large', 501: 'Not Implemented' }
