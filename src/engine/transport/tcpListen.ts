// Listening on TCP for a device that connects (QEMU's `-netdev stream,server=off`
// over inet, `-chardev socket,host=…,port=…` without `server`): every accepted
// connection has TCP_NODELAY, as the TCP client's has, so a frame is not held
// back waiting for the next. Failing to listen is one sentence naming HOST:PORT.
import net from 'node:net'

import { UserError } from '../errors.js'

import type { StreamListener } from './streamServer.js'

/** HOST:PORT as a person writes it, IPv6 hosts in brackets. */
export function tcpEndpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** Starts listening on `host`:`port`; `onFatal` gets one sentence if it cannot. */
export function listenOnTcp(
  host: string, port: number, onConnection: (socket: net.Socket) => void, onFatal: (error: Error) => void
): StreamListener {
  const server = net.createServer({ noDelay: true }, onConnection)
  let closed = false
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (!closed) onFatal(new UserError(cannotListen(host, port, error)))
  })
  server.listen({ host, port })
  return {
    close() {
      closed = true
      return new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))
    }
  }
}

function cannotListen(host: string, port: number, error: NodeJS.ErrnoException): string {
  const where = `tcp ${tcpEndpoint(host, port)}`
  switch (error.code) {
    case 'EADDRINUSE':
      return `${where} is already in use by another program; stop it or choose another port.`
    case 'EADDRNOTAVAIL':
      return `Cannot listen on ${where}: ${host} is not an address of this machine; give 127.0.0.1 or one of its own addresses.`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `Cannot listen on ${where}: ${host} does not resolve to an address; give 127.0.0.1 or one of this machine's own addresses.`
    case 'EACCES':
      return `Cannot listen on ${where}: ports below 1024 need privileges; choose a port above 1023.`
    default:
      return `Cannot listen on ${where} (${error.code ?? error.message}); choose another address or port.`
  }
}
