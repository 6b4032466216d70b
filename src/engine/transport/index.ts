import { SerialPortTransport } from './serialPort.js'
import { StreamClientTransport } from './streamClient.js'
import { StreamServerTransport } from './streamServer.js'
import { listenOnTcp, tcpEndpoint } from './tcpListen.js'
import type { StreamReceiver, Transport, TransportEvents, TransportOptions } from './types.js'
import { listenOnUnixSocket } from './unixListen.js'

export type { LinkState, LinkStatus, StreamReceiver, Transport, TransportOptions } from './types.js'

export function createTransport(options: TransportOptions, receiver: StreamReceiver, events: TransportEvents): Transport {
  switch (options.kind) {
    case 'unix-client':
      return new StreamClientTransport({ path: options.path }, receiver, events)
    case 'tcp-client':
      return new StreamClientTransport({ host: options.host, port: options.port }, receiver, events)
    case 'unix-server': {
      const { path } = options
      return new StreamServerTransport(path, (onConnection, onFatal) => listenOnUnixSocket(path, onConnection, onFatal), receiver, events)
    }
    case 'tcp-server': {
      const { host, port } = options
      return new StreamServerTransport(tcpEndpoint(host, port), (onConnection, onFatal) => listenOnTcp(host, port, onConnection, onFatal), receiver, events)
    }
    case 'serial':
      return new SerialPortTransport({ path: options.path, baud: options.baud }, receiver, events)
  }
}

/** What two devices must not share: the same socket path, serial port or TCP address. */
export function transportKey(t: TransportOptions): string {
  return t.kind === 'tcp-client' || t.kind === 'tcp-server' ? `tcp ${t.host}:${t.port}` : `path ${t.path}`
}
