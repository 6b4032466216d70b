// The demo device's TCP keeps nothing of a connection once it has ended,
// however it ended: over a long run (a soak, a curl loop) the connection
// table and the timers stay as small as the traffic of the moment.
import { describe, expect, it } from 'vitest'
import { seqAdd } from '../../src/demo/stack/tcp/sequence.js'
import { ACK, exchangeClosedByDevice, FIN, pattern, RST, ScriptedPeer, SYN } from './tcpTestPeer.js'

/** An established connection from the host's `port`. */
function connect(peer: ScriptedPeer, port: number): void {
  peer.port = port
  peer.handshake()
}

/** Ways a connection ends, each driven from the host's side on its own port. */
const ENDINGS: Record<string, (peer: ScriptedPeer, port: number) => void> = {
  'device closes first, TIME-WAIT runs out': (peer, port) => exchangeClosedByDevice(peer, port),
  'TIME-WAIT reopened by a new SYN on the same ports': (peer, port) => {
    exchangeClosedByDevice(peer, port)
    exchangeClosedByDevice(peer, port, seqAdd(peer.seq, 100_000))
  },
  'host closes first': (peer, port) => {
    connect(peer, port)
    peer.sendData(new Uint8Array(0), ACK | FIN)
    peer.take()
    peer.conn.close()
    peer.acknowledge(peer.take())
  },
  'host resets': (peer, port) => {
    connect(peer, port)
    peer.send({ flags: RST })
  },
  'handshake never completed': (peer, port) => {
    peer.port = port
    peer.send({ flags: SYN, ack: 0 })
    peer.take()
  },
  'host never sends its FIN (FIN-WAIT-2 times out)': (peer, port) => {
    connect(peer, port)
    peer.conn.close()
    peer.acknowledge(peer.take())
  },
  'host vanishes with data unacknowledged': (peer, port) => {
    connect(peer, port)
    peer.conn.write(pattern(3000))
    peer.take()
  }
}

describe('TCP stack cleanup', () => {
  it('holds no connection and no timer once 700 connections have ended in every way there is', () => {
    const peer = new ScriptedPeer({ maxConnections: 1000 })
    let port = 20000
    for (let round = 0; round < 100; round++) {
      for (const end of Object.values(ENDINGS)) end(peer, port++)
      peer.clock.advance(1000)
      peer.take() // retransmissions to hosts that are gone
    }
    peer.clock.advance(10 * 60_000) // past every timeout: 8 retransmissions with backoff take about 4 min
    expect(peer.stack.stats.active).toBe(0)
    expect(peer.clock.pendingTimers).toBe(0)
    const reasons = new Map<string, number>()
    for (const app of peer.apps) reasons.set(app.closedReason ?? 'still open', (reasons.get(app.closedReason ?? 'still open') ?? 0) + 1)
    expect(Object.fromEntries(reasons)).toEqual({ closed: 300, reopened: 100, 'reset by peer': 100, 'timed out': 200 })
  })
})
