// Refusals written straight onto a request's socket, for requests whose body
// must not be read and for WebSocket upgrades (past the HTTP layer already).
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'

/** How long the peer has to read the refusal before the connection is dropped. */
const LINGER_MS = 1000

/**
 * No route of `tunscope serve` takes a body (the UI's commands travel over the
 * WebSocket), so a request that declares one, by length or chunked, is refused.
 */
export function declaresBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length']
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) !== 0)
}

/**
 * Answers `status` with one sentence and closes the connection, reading
 * nothing more: Node stops reading a request whose small body buffer is full
 * and nobody consumes. A response through the HTTP layer would not do: kept
 * alive, Node reads the whole body to reach the next request; with
 * Connection: close it drops the connection at once, which resets it under a
 * peer still sending and loses the answer. Hence a moment's linger.
 */
export function refuseOnSocket(socket: Duplex, status: string, sentence: string): void {
  const body = `${sentence}\n`
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  const timer = setTimeout(() => socket.destroy(), LINGER_MS)
  socket.once('close', () => clearTimeout(timer))
}
