// Echo on port 7 (RFC 862), over TCP and UDP: every byte comes back. Over TCP
// the echo only reads what it can send, so a peer that sends faster than the
// UART carries sees the device's receive window close.
import type { DeviceStack } from '../stack/deviceStack.js'
import type { TcpApp, TcpConnection } from '../stack/tcp/tcpStack.js'

export const ECHO_PORT = 7

export function serveEcho(stack: DeviceStack): void {
  stack.bindUdp(ECHO_PORT, (datagram, from) => stack.sendUdp(from, ECHO_PORT, datagram.payload))
  stack.tcp.listen(ECHO_PORT, () => tcpEcho())
}

function tcpEcho(): TcpApp {
  let peerClosed = false
  const pump = (conn: TcpConnection): void => {
    while (conn.readable > 0 && conn.writable > 0) conn.write(conn.read(conn.writable))
    if (peerClosed && conn.readable === 0) conn.close()
  }
  return {
    onReadable: pump,
    onWritable: pump,
    onPeerClosed(conn) {
      peerClosed = true
      pump(conn)
    }
  }
}
