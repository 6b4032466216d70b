// TIME-WAIT against the demo device's 16-connection cap. An HTTP/1.0 server
// closes first, so every finished request leaves the device a connection in
// TIME-WAIT for 2 s; a loop of curls must still get in, as with lwIP, whose
// tcp_alloc ends the oldest TIME-WAIT pcb when it runs out.
import { describe, expect, it } from 'vitest'
import { TIME_WAIT_MS } from '../../src/demo/stack/tcp/tcpConnection.js'
import { seqAdd } from '../../src/demo/stack/tcp/sequence.js'
import { ACK, FIN, pattern, RST, ScriptedPeer, SYN } from './tcpTestPeer.js'

const CAP = 16

/** One request/response on port `port` that the device closes first, as the demo's HTTP server does: the device ends in TIME-WAIT. Returns the sequence number of the host's FIN. */
function serverClosedExchange(peer: ScriptedPeer, port: number): number {
  peer.port = port
  peer.seq = 0x1000 + port * 0x10000
  const synAck = peer.handshake()
  expect(synAck.flags, `SYN on port ${port}`).toBe(SYN | ACK)
  peer.sendData(pattern(20)) // the request
  peer.take()
  peer.conn.write(pattern(100)) // the response, then the server's close
  peer.conn.close()
  const response = peer.take()
  expect(response.at(-1)!.flags & FIN).toBe(FIN)
  peer.acknowledge(response)
  const finSeq = peer.seq
  peer.sendData(new Uint8Array(0), ACK | FIN) // the host closes its side
  expect(peer.one()).toMatchObject({ flags: ACK, ack: peer.seq })
  expect(peer.conn.state).toBe('TIME_WAIT')
  return finSeq
}

describe('TCP TIME-WAIT and the connection cap', () => {
  it('opens every one of 40 back-to-back connections the device closes first: the oldest TIME-WAIT one gives way', () => {
    const peer = new ScriptedPeer()
    for (let i = 0; i < 40; i++) {
      peer.clock.advance(10)
      serverClosedExchange(peer, 41000 + i)
    }
    expect(peer.stack.stats).toMatchObject({ opened: 40, active: CAP, resets: 0 })
    // The first 24 ended early, oldest first, quietly (no RST: all was said); the last 16 still wait.
    expect(peer.apps.slice(0, 24).map((a) => a.closedReason)).toEqual(Array(24).fill('TIME-WAIT cut short for a new connection'))
    expect(peer.apps.slice(24).map((a) => a.conn.state)).toEqual(Array(CAP).fill('TIME_WAIT'))
    peer.clock.advance(TIME_WAIT_MS)
    expect(peer.stack.stats.active).toBe(0)
    expect(peer.clock.pendingTimers).toBe(0)
  })

  it('ends the connection longest in TIME-WAIT, counting a restart by a repeated FIN', () => {
    const peer = new ScriptedPeer()
    const firstFin = serverClosedExchange(peer, 42000)
    for (let i = 1; i < CAP; i++) {
      peer.clock.advance(10)
      serverClosedExchange(peer, 42000 + i)
    }
    const first = peer.apps[0]!
    peer.clock.advance(10)
    peer.port = 42000
    peer.send({ seq: firstFin, flags: ACK | FIN }) // its FIN again (our ACK was lost): 2 MSL start over
    expect(peer.one()).toMatchObject({ flags: ACK })
    serverClosedExchange(peer, 42100)
    expect(peer.apps[1]!.closedReason).toBe('TIME-WAIT cut short for a new connection')
    expect(first.conn.state).toBe('TIME_WAIT')
  })

  it('still refuses a SYN when every slot holds a connection in another state', () => {
    const peer = new ScriptedPeer()
    serverClosedExchange(peer, 43000)
    for (let i = 1; i < CAP; i++) {
      peer.port = 43000 + i
      peer.handshake()
    }
    peer.port = 43100
    peer.send({ flags: SYN, ack: 0, seq: 5000 })
    expect(peer.one().flags).toBe(SYN | ACK) // took the TIME-WAIT slot
    peer.port = 43101
    peer.send({ flags: SYN, ack: 0, seq: 5000 })
    expect(peer.one()).toMatchObject({ flags: RST | ACK, ack: 5001 })
    expect(peer.stack.stats).toMatchObject({ active: CAP, opened: CAP + 1 })
  })

  it('opens a new connection on a TIME-WAIT connection\'s ports for a SYN beyond its sequence space, and only then', () => {
    const peer = new ScriptedPeer()
    serverClosedExchange(peer, 44000)
    const old = peer.app
    const after = peer.seq // RCV.NXT of the old connection
    peer.send({ flags: SYN, ack: 0, seq: after }) // not beyond: an old duplicate, answered with an ACK
    expect(peer.one()).toMatchObject({ flags: ACK, ack: after })
    expect(old.conn.state).toBe('TIME_WAIT')
    peer.send({ flags: SYN, ack: 0, seq: seqAdd(after, 100_000) })
    const synAck = peer.one()
    expect(synAck).toMatchObject({ flags: SYN | ACK, ack: seqAdd(after, 100_001) })
    expect(old.closedReason).toBe('reopened')
    peer.seq = seqAdd(after, 100_001)
    peer.ack = seqAdd(synAck.seq, 1)
    peer.send()
    expect(peer.app).not.toBe(old)
    expect(peer.conn.state).toBe('ESTABLISHED')
    expect(peer.stack.stats).toMatchObject({ active: 1, opened: 2 })
  })
})
