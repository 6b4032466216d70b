// TIME-WAIT against the demo device's 16-connection cap. An HTTP/1.0 server
// closes first, so every finished request leaves the device a connection in
// TIME-WAIT for 2 s; a loop of curls must still get in, as with lwIP, whose
// tcp_alloc ends the oldest TIME-WAIT pcb when it runs out.
import { describe, expect, it } from 'vitest'
import { TIME_WAIT_MS } from '../../src/demo/stack/tcp/tcpConnection.js'
import { seqAdd } from '../../src/demo/stack/tcp/sequence.js'
import { ACK, exchangeClosedByDevice, FIN, RST, ScriptedPeer, SYN } from './tcpTestPeer.js'

const CAP = 16

describe('TCP TIME-WAIT and the connection cap', () => {
  it('opens every one of 40 back-to-back connections the device closes first: the oldest TIME-WAIT one gives way', () => {
    const peer = new ScriptedPeer()
    for (let i = 0; i < 40; i++) {
      peer.clock.advance(10)
      exchangeClosedByDevice(peer, 41000 + i)
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
    const firstFin = exchangeClosedByDevice(peer, 42000)
    for (let i = 1; i < CAP; i++) {
      peer.clock.advance(10)
      exchangeClosedByDevice(peer, 42000 + i)
    }
    const first = peer.apps[0]!
    peer.clock.advance(10)
    peer.port = 42000
    peer.send({ seq: firstFin, flags: ACK | FIN }) // its FIN again (our ACK was lost): 2 MSL start over
    expect(peer.one()).toMatchObject({ flags: ACK })
    exchangeClosedByDevice(peer, 42100)
    expect(peer.apps[1]!.closedReason).toBe('TIME-WAIT cut short for a new connection')
    expect(first.conn.state).toBe('TIME_WAIT')
  })

  it('still refuses a SYN when every slot holds a connection in another state', () => {
    const peer = new ScriptedPeer()
    exchangeClosedByDevice(peer, 43000)
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
    exchangeClosedByDevice(peer, 44000)
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
