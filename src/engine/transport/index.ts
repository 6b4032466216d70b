import { SerialPortTransport } from './serialPort.js'
import { StreamClientTransport } from './streamClient.js'
import type { StreamReceiver, Transport, TransportEvents, TransportOptions } from './types.js'
import { UnixServerTransport } from './unixServer.js'

export type { LinkState, LinkStatus, StreamReceiver, Transport, TransportOptions } from './types.js'

export function createTransport(options: TransportOptions, receiver: StreamReceiver, events: TransportEvents): Transport {
  switch (options.kind) {
    case 'unix-client':
      return new StreamClientTransport({ path: options.path }, receiver, events)
    case 'tcp-client':
      return new StreamClientTransport({ host: options.host, port: options.port }, receiver, events)
    case 'unix-server':
      return new UnixServerTransport(options.path, receiver, events)
    case 'serial':
      return new SerialPortTransport({ path: options.path, baud: options.baud }, receiver, events)
  }
}
