// The demo device's TCP state machine, driven segment by segment by a
// scripted host on a manual clock: handshake, data both ways, the receive
// window, loss, reordering, FIN both ways, RST, the connection cap and timers.
import { describe, expect, it } from 'vitest'
import { FIN_WAIT_2_TIMEOUT_MS, MAX_RETRANSMISSIONS, TIME_WAIT_MS } from '../../src/demo/stack/tcp/tcpConnection.js'
import { seqAdd } from '../../src/demo/stack/tcp/sequence.js'
import type { TcpSegment } from '../../src/demo/stack/tcp/tcpSegment.js'
import { concat } from '../helpers/frames.js'
import { ACK, FIN, pattern, PORT, PSH, RST, ScriptedPeer, SYN } from './tcpTestPeer.js'

const summary = (s: TcpSegment) => ({ seq: s.seq, ack: s.ack, flags: s.flags, window: s.window, length: s.payload.length })

/** An established connection whose app reads (or not) as it is told. */
function established(options: ConstructorParameters<typeof ScriptedPeer>[0] = {}, mss = 1000): ScriptedPeer {
  const peer = new ScriptedPeer(options)
  peer.handshake(mss)
  return peer
}

describe('TCP handshake', () => {
  it('answers SYN with SYN-ACK and our MSS, and accepts the app only on the ACK', () => {
    const peer = new ScriptedPeer()
    peer.send({ flags: SYN, ack: 0, mss: 1000, window: 30000 })
    const synAck = peer.one()
    expect(synAck).toMatchObject({ srcPort: PORT, dstPort: peer.port, seq: 0x8000_0000, ack: 0x1001, flags: SYN | ACK, window: 4 * 1446, mss: 1446 })
    expect(peer.apps).toHaveLength(0)
    expect(peer.stack.stats).toMatchObject({ active: 1, opened: 1 })
    peer.seq = 0x1001
    peer.ack = 0x8000_0001
    peer.send({ window: 30000 })
    expect(peer.conn.state).toBe('ESTABLISHED')
    expect(peer.app.events).toEqual(['accepted'])
    expect(peer.take()).toEqual([]) // nothing to acknowledge
    // Segments are cut at the peer's MSS.
    peer.conn.write(pattern(2500))
    expect(peer.take().map((s) => s.payload.length)).toEqual([1000, 1000, 500])
  })

  it('sends segments of min(our MSS, the peer\'s); 536 when the SYN has no MSS option', () => {
    for (const [peerMss, size] of [[9000, 1446], [undefined, 536]] as const) {
      const peer = new ScriptedPeer()
      peer.handshake(peerMss)
      peer.conn.write(pattern(2000))
      expect(peer.take()[0]?.payload.length).toBe(size)
    }
  })

  it('resends the SYN-ACK on timeout (1 s, 2 s, …) and on a repeated SYN, then forgets the half-open connection', () => {
    const peer = new ScriptedPeer()
    peer.send({ flags: SYN, ack: 0, mss: 1000 })
    const first = peer.one()
    peer.clock.advance(999)
    expect(peer.take()).toEqual([])
    peer.clock.advance(1)
    expect(summary(peer.one())).toEqual(summary(first))
    peer.send({ flags: SYN, ack: 0, mss: 1000 }) // the peer's SYN again: answered at once
    expect(summary(peer.one())).toEqual(summary(first))
    peer.clock.advance(1999)
    expect(peer.take()).toEqual([])
    peer.clock.advance(1)
    expect(peer.take()).toHaveLength(1)
    peer.clock.advance(4000 + 8000) // two more
    expect(peer.take()).toHaveLength(2)
    expect(peer.stack.stats.active).toBe(1)
    peer.clock.advance(16000)
    expect(peer.take()).toEqual([])
    expect(peer.stack.stats).toMatchObject({ active: 0, retransmissions: 5 })
    expect(peer.clock.pendingTimers).toBe(0)
    expect(peer.apps).toHaveLength(0)
  })

  it('answers a wrong ACK in SYN_RECEIVED with a RST at that ACK, and stays half-open', () => {
    const peer = new ScriptedPeer()
    peer.send({ flags: SYN, ack: 0 })
    peer.take()
    peer.send({ seq: 0x1001, ack: 12345 })
    expect(peer.one()).toMatchObject({ seq: 12345, flags: RST })
    peer.send({ seq: 0x1001, ack: 0x8000_0001 })
    expect(peer.conn.state).toBe('ESTABLISHED')
  })
})

describe('TCP data', () => {
  it('delivers the host\'s data in order and acknowledges every segment', () => {
    const peer = established()
    const data = pattern(3000)
    for (let i = 0; i < 3; i++) {
      peer.sendData(data.subarray(i * 1000, i * 1000 + 1000))
      expect(peer.one()).toMatchObject({ flags: ACK, ack: peer.seq, window: 4 * 1446 })
    }
    expect(concat(peer.app.data)).toEqual(data)
    expect(peer.app.events).toEqual(['accepted', 'readable', 'readable', 'readable'])
  })

  it('sends the app\'s data within the peer\'s window, PSH on the last segment, and reports room as ACKs free it', () => {
    const peer = established()
    peer.send({ window: 2500 })
    expect(peer.conn.write(pattern(6000))).toBe(4 * 1446)
    expect(peer.conn.writable).toBe(0)
    const first = peer.take()
    expect(first.map((s) => [s.payload.length, s.flags])).toEqual([[1000, ACK], [1000, ACK], [500, ACK]])
    peer.acknowledge(first.slice(0, 2), 2500)
    expect(peer.app.events).toEqual(['accepted', 'writable'])
    expect(peer.conn.writable).toBe(2000)
    const second = peer.take() // 2000 more fit in the window now
    expect(second.map((s) => s.payload.length)).toEqual([1000, 1000])
    peer.acknowledge(second, 65535)
    const third = peer.take()
    expect(third.map((s) => [s.payload.length, s.flags])).toEqual([[1000, ACK], [284, ACK | PSH]])
    expect(concat([...first, ...second, ...third].map((s) => s.payload))).toEqual(pattern(4 * 1446))
  })

  it('holds new data while the link is full and sends it on linkReady()', () => {
    const peer = established()
    peer.linkOpen = false
    peer.conn.write(pattern(1500))
    expect(peer.take()).toEqual([])
    peer.linkOpen = true
    peer.stack.linkReady()
    expect(peer.take().map((s) => s.payload.length)).toEqual([1000, 500])
  })

  it('puts the ACK on the data an app writes from onReadable (one segment, not two)', () => {
    const peer = new ScriptedPeer()
    peer.stack.listen(PORT, () => ({ onReadable: (conn) => conn.write(conn.read()) }))
    peer.handshake(1000)
    peer.sendData(pattern(100))
    const echo = peer.one()
    expect(echo).toMatchObject({ flags: ACK | PSH, ack: peer.seq })
    expect(echo.payload).toEqual(pattern(100))
  })

  it('trims what it already has from a retransmission that overlaps, and data beyond the window', () => {
    const peer = established({ receiveBuffer: 3000 })
    peer.autoRead = false
    peer.send({ payload: pattern(1000) })
    peer.send({ payload: pattern(1500), seq: peer.seq }) // the first 1000 again and 500 new
    expect(peer.take().map((s) => [s.ack - peer.seq, s.window])).toEqual([[1000, 2000], [1500, 1500]])
    peer.send({ payload: pattern(2000, 1500), seq: peer.seq + 1500 }) // 500 beyond the window
    expect(summary(peer.one())).toMatchObject({ ack: peer.seq + 3000, window: 0 })
    expect(peer.conn.read()).toEqual(pattern(3000))
  })
})

describe('TCP receive window', () => {
  it('shrinks to zero while the app does not read, and reopens with a window update when it does', () => {
    const peer = established({ receiveBuffer: 4000 })
    peer.autoRead = false
    const windows: number[] = []
    for (let i = 0; i < 4; i++) {
      peer.sendData(pattern(1000, i * 1000))
      windows.push(peer.one().window)
    }
    expect(windows).toEqual([3000, 2000, 1000, 0])
    // A zero-window probe: not taken, answered with the same ACK and window.
    peer.send({ payload: pattern(1, 4000) })
    expect(summary(peer.one())).toMatchObject({ ack: peer.seq, window: 0 })
    // Reading less than a segment's worth stays quiet (receiver SWS avoidance); a segment's worth sends the update.
    expect(peer.conn.read(500)).toEqual(pattern(500))
    expect(peer.take()).toEqual([])
    expect(peer.conn.read(1000)).toEqual(pattern(1000, 500))
    expect(summary(peer.one())).toMatchObject({ flags: ACK, ack: peer.seq, window: 1500 })
    expect(peer.conn.read().length).toBe(2500)
    expect(peer.one().window).toBe(4000)
    expect(peer.conn.readable).toBe(0)
  })
})

describe('TCP loss and reordering', () => {
  it('retransmits a lost segment after the RTO, doubling the wait each time', () => {
    const peer = established()
    peer.conn.write(pattern(500))
    const original = peer.one() // lost
    const gaps: number[] = []
    let last = peer.clock.now()
    for (let i = 0; i < 4; i++) {
      while (peer.take().length === 0) peer.clock.advance(10)
      gaps.push(peer.clock.now() - last)
      last = peer.clock.now()
    }
    expect(gaps).toEqual([1000, 2000, 4000, 8000])
    peer.clock.advance(16000)
    const again = peer.one()
    expect(summary(again)).toEqual(summary(original))
    expect(again.payload).toEqual(original.payload)
    expect(peer.stack.stats.retransmissions).toBe(5)
    peer.acknowledge([again])
    peer.clock.advance(120_000)
    expect(peer.take()).toEqual([])
  })

  it('measures the round trip: 800 ms gives an RTO of 2.4 s (RFC 6298), and no sample comes from a retransmitted segment', () => {
    const peer = new ScriptedPeer()
    peer.send({ flags: SYN, ack: 0, mss: 1000 })
    peer.ack = seqAdd(peer.one().seq, 1)
    peer.seq++
    peer.clock.advance(800) // the SYN-ACK's round trip: SRTT 800 ms, RTTVAR 400 ms
    peer.send()
    peer.conn.write(pattern(10))
    peer.take() // lost
    peer.clock.advance(2399)
    expect(peer.take()).toEqual([])
    peer.clock.advance(1)
    const retransmitted = peer.take()
    expect(retransmitted).toHaveLength(1)
    peer.clock.advance(100)
    peer.acknowledge(retransmitted) // Karn: no 100 ms sample from this one, so the doubled RTO stays
    peer.conn.write(pattern(10))
    peer.take()
    peer.clock.advance(4799)
    expect(peer.take()).toEqual([])
    peer.clock.advance(1)
    expect(peer.take()).toHaveLength(1)
  })

  it('goes back to the first unacknowledged byte on timeout: one segment, then the rest as ACKs return', () => {
    const peer = established()
    peer.conn.write(pattern(3000))
    const lost = peer.take()
    expect(lost).toHaveLength(3)
    peer.clock.advance(1000)
    const first = peer.take()
    expect(first.map(summary)).toEqual([summary(lost[0]!)])
    peer.acknowledge(first)
    expect(peer.take().map(summary)).toEqual(lost.slice(1).map(summary))
    expect(peer.stack.stats.retransmissions).toBe(3)
  })

  it('fast-retransmits the first segment on the third duplicate ACK', () => {
    const peer = established()
    peer.conn.write(pattern(4000))
    const sent = peer.take()
    for (let i = 0; i < 2; i++) peer.send()
    expect(peer.take()).toEqual([])
    peer.send()
    expect(peer.take().map(summary)).toEqual([summary(sent[0]!)])
    expect(peer.clock.now()).toBe(0)
  })

  it('after a fast retransmit, resends the next hole at once on a partial ACK (NewReno)', () => {
    const peer = established()
    peer.conn.write(pattern(4000))
    const sent = peer.take() // the first and the third are lost
    for (let i = 0; i < 3; i++) peer.send()
    expect(peer.take().map(summary)).toEqual([summary(sent[0]!)])
    peer.acknowledge(sent.slice(0, 2)) // the hole at the third remains
    expect(peer.take().map(summary)).toEqual([summary(sent[2]!)])
    peer.acknowledge(sent)
    expect(peer.take()).toEqual([])
    expect(peer.stack.stats.retransmissions).toBe(2)
  })

  it('answers out-of-order data with a duplicate ACK and takes the gap when the host resends it', () => {
    const peer = established()
    const data = pattern(3000)
    const start = peer.seq
    peer.send({ seq: start + 1000, payload: data.subarray(1000, 2000) }) // the first segment was lost
    peer.send({ seq: start + 2000, payload: data.subarray(2000) })
    expect(peer.take().map((s) => s.ack)).toEqual([start, start])
    expect(peer.app.data).toEqual([])
    // The host's go-back-N: everything from the hole.
    for (let at = 0; at < 3000; at += 1000) peer.send({ seq: start + at, payload: data.subarray(at, at + 1000) })
    expect(peer.take().map((s) => s.ack)).toEqual([start + 1000, start + 2000, start + 3000])
    expect(concat(peer.app.data)).toEqual(data)
    expect(peer.stack.stats.dropped).toBe(2)
  })

  it('gives the intact stream when segments arrive reordered and duplicated', () => {
    const peer = established()
    const data = pattern(5000)
    const start = peer.seq
    const order = [3, 0, 4, 0, 1, 2, 1, 4, 2] // as a reordering, duplicating link might deliver them
    for (const i of order) peer.send({ seq: start + i * 1000, payload: data.subarray(i * 1000, i * 1000 + 1000) })
    expect(concat(peer.app.data)).toEqual(data.subarray(0, 3000))
    for (const i of [3, 4]) peer.send({ seq: start + i * 1000, payload: data.subarray(i * 1000, i * 1000 + 1000) })
    expect(concat(peer.app.data)).toEqual(data)
    expect(peer.take().at(-1)?.ack).toBe(start + 5000)
  })
})

describe('TCP zero window and giving up', () => {
  it('probes a zero window with backoff, and sends when the window opens', () => {
    const peer = established()
    peer.conn.write(pattern(3000))
    const sent = peer.take()
    peer.acknowledge(sent.slice(0, 1), 0) // 1000 taken, window closed
    peer.clock.advance(1000) // the rest was lost, and lies beyond the closed window: probes, not retransmissions
    const probe = { seq: seqAdd(sent[1]!.seq, -1), ack: peer.seq, flags: ACK, window: 4 * 1446, length: 0 }
    expect(peer.take().map(summary)).toEqual([probe])
    peer.send({ window: 0 })
    const probes: number[] = []
    let last = peer.clock.now()
    for (let i = 0; i < 4; i++) {
      let segments = peer.take()
      while (segments.length === 0) {
        peer.clock.advance(10)
        segments = peer.take()
      }
      expect(segments.map(summary)).toEqual([probe])
      peer.send({ window: 0 }) // answered, still closed
      probes.push(peer.clock.now() - last)
      last = peer.clock.now()
    }
    expect(probes).toEqual([2000, 4000, 8000, 16000])
    peer.send({ window: 5000 })
    const rest = peer.take()
    expect(rest.map((s) => s.payload.length)).toEqual([1000, 1000])
    expect(rest[0]!.seq).toBe(sent[1]!.seq)
    expect(peer.conn.state).toBe('ESTABLISHED')
  })

  it('gives up on a zero window whose probes go unanswered', () => {
    const peer = established()
    peer.send({ window: 0 })
    peer.conn.write(pattern(10))
    expect(peer.take()).toEqual([])
    peer.clock.advance(10 * 60_000)
    const segments = peer.take()
    expect(segments.slice(0, -1).every((s) => s.flags === ACK && s.payload.length === 0)).toBe(true)
    expect(segments.at(-1)?.flags).toBe(RST | ACK)
    expect(peer.app.closedReason).toBe('timed out')
  })

  it('gives up with RST after retransmitting the same data 8 times', () => {
    const peer = established()
    peer.conn.write(pattern(100))
    peer.take()
    const times: number[] = []
    while (peer.app.closedReason === undefined) {
      peer.clock.advance(100)
      times.push(...peer.take().map(() => peer.clock.now() / 1000))
    }
    expect(times).toEqual([1, 3, 7, 15, 31, 63, 123, 183, 243])
    expect(peer.stack.stats.retransmissions).toBe(MAX_RETRANSMISSIONS)
    expect(peer.app.closedReason).toBe('timed out')
    expect(peer.stack.stats.active).toBe(0)
    expect(peer.clock.pendingTimers).toBe(0)
  })
})

describe('TCP close', () => {
  it('passive close: peer FIN → CLOSE_WAIT; app close → FIN, LAST_ACK; ACK → CLOSED', () => {
    const peer = established()
    peer.sendData(pattern(10), ACK | FIN)
    expect(peer.one()).toMatchObject({ flags: ACK, ack: peer.seq })
    expect(peer.conn.state).toBe('CLOSE_WAIT')
    expect(peer.app.events).toEqual(['accepted', 'readable', 'peer closed'])
    expect(peer.conn.write(pattern(5))).toBe(5) // a half-closed connection still sends
    peer.take()
    peer.conn.close()
    const fin = peer.one()
    expect(fin).toMatchObject({ flags: ACK | FIN, ack: peer.seq, seq: 0x8000_0001 + 5 })
    expect(peer.conn.state).toBe('LAST_ACK')
    expect(peer.conn.writable).toBe(0)
    expect(peer.conn.write(pattern(5))).toBe(0)
    peer.acknowledge([fin])
    expect(peer.conn.state).toBe('CLOSED')
    expect(peer.app.events.at(-1)).toBe('closed: closed')
    expect(peer.stack.stats.active).toBe(0)
    expect(peer.clock.pendingTimers).toBe(0)
  })

  it('retransmits a lost FIN on timeout', () => {
    const peer = established()
    peer.sendData(new Uint8Array(0), ACK | FIN)
    peer.take()
    peer.conn.close()
    const fin = peer.one()
    peer.clock.advance(1000)
    expect(summary(peer.one())).toEqual(summary(fin))
    peer.acknowledge([fin])
    expect(peer.app.closedReason).toBe('closed')
  })

  it('active close: FIN after the queued data, FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT → CLOSED after 2 s', () => {
    const peer = established()
    peer.linkOpen = false // the data waits, so the FIN goes with its last segment
    peer.conn.write(pattern(1500))
    peer.conn.close()
    peer.linkOpen = true
    peer.stack.linkReady()
    const sent = peer.take()
    expect(sent.map((s) => [s.payload.length, s.flags])).toEqual([[1000, ACK], [500, ACK | PSH | FIN]])
    expect(peer.conn.state).toBe('FIN_WAIT_1')
    peer.acknowledge(sent)
    expect(peer.conn.state).toBe('FIN_WAIT_2')
    peer.sendData(pattern(20), ACK | FIN) // the peer may still send before its FIN
    expect(peer.one()).toMatchObject({ flags: ACK, ack: peer.seq })
    expect(peer.conn.state).toBe('TIME_WAIT')
    expect(peer.app.data.map((d) => d.length)).toEqual([20])
    peer.send({ seq: peer.seq - 1, flags: ACK | FIN }) // our ACK was lost: the FIN again
    expect(peer.one()).toMatchObject({ flags: ACK, ack: peer.seq })
    peer.clock.advance(TIME_WAIT_MS - 1)
    expect(peer.conn.state).toBe('TIME_WAIT')
    peer.clock.advance(1)
    expect(peer.app.closedReason).toBe('closed')
    expect(peer.stack.stats.active).toBe(0)
  })

  it('simultaneous close: FIN_WAIT_1 + FIN → CLOSING → TIME_WAIT', () => {
    const peer = established()
    peer.conn.close()
    const fin = peer.one()
    peer.sendData(new Uint8Array(0), ACK | FIN) // crossed ours: acknowledges nothing of it
    expect(peer.conn.state).toBe('CLOSING')
    expect(peer.one()).toMatchObject({ flags: ACK, ack: peer.seq })
    peer.acknowledge([fin])
    expect(peer.conn.state).toBe('TIME_WAIT')
    peer.clock.advance(TIME_WAIT_MS)
    expect(peer.app.events).toEqual(['accepted', 'peer closed', 'closed: closed'])
  })

  it('ends a FIN_WAIT_2 connection whose peer stays silent for 30 s', () => {
    const peer = established()
    peer.conn.close()
    peer.acknowledge(peer.take())
    expect(peer.conn.state).toBe('FIN_WAIT_2')
    peer.clock.advance(20_000)
    peer.sendData(pattern(5)) // still alive: the 30 s start again
    peer.take()
    peer.clock.advance(FIN_WAIT_2_TIMEOUT_MS - 1)
    expect(peer.conn.state).toBe('FIN_WAIT_2')
    peer.clock.advance(1)
    expect(peer.one().flags).toBe(RST | ACK)
    expect(peer.app.closedReason).toBe('timed out')
  })
})

describe('TCP reset', () => {
  it('answers segments for no connection per RFC 9293: SEQ = their ACK, or SEQ 0 and ACK = SEQ + length', () => {
    const peer = new ScriptedPeer()
    peer.send({ dstPort: 9, seq: 100, ack: 5000, flags: ACK, payload: pattern(10) })
    expect(summary(peer.one())).toEqual({ seq: 5000, ack: 0, flags: RST, window: 0, length: 0 })
    peer.send({ dstPort: 9, seq: 100, ack: 0, flags: FIN, payload: pattern(10) })
    expect(summary(peer.one())).toEqual({ seq: 0, ack: 111, flags: RST | ACK, window: 0, length: 0 })
    peer.send({ dstPort: 9, seq: 0xffff_ffff, ack: 0, flags: SYN })
    expect(peer.one()).toMatchObject({ seq: 0, ack: 0, flags: RST | ACK })
    peer.send({ dstPort: PORT, seq: 100, ack: 7777, flags: ACK }) // listening, but no such connection
    expect(peer.one()).toMatchObject({ seq: 7777, flags: RST })
    peer.send({ dstPort: 9, flags: RST }) // never a RST for a RST
    peer.send({ dstPort: 9, flags: RST | ACK })
    peer.send({ dstPort: PORT, flags: FIN }) // LISTEN drops what has neither SYN nor ACK
    expect(peer.take()).toEqual([])
    expect(peer.stack.stats).toMatchObject({ resets: 4, active: 0, dropped: 3 })
  })

  it('closes on a RST at RCV.NXT, answers one elsewhere in the window with a challenge ACK, and ignores one outside', () => {
    const peer = established()
    peer.send({ flags: RST, seq: peer.seq + 100000 })
    expect(peer.take()).toEqual([])
    peer.send({ flags: RST, seq: peer.seq + 10 })
    expect(peer.one()).toMatchObject({ flags: ACK, ack: peer.seq })
    expect(peer.conn.state).toBe('ESTABLISHED')
    peer.send({ flags: RST | ACK })
    expect(peer.take()).toEqual([])
    expect(peer.app.closedReason).toBe('reset by peer')
    expect(peer.stack.stats.active).toBe(0)
  })

  it('answers a SYN on an established connection with a challenge ACK, not a reset', () => {
    const peer = established()
    peer.send({ flags: SYN, seq: 99, ack: 0 })
    expect(peer.one()).toMatchObject({ flags: ACK, seq: 0x8000_0001, ack: peer.seq })
    expect(peer.conn.state).toBe('ESTABLISHED')
  })

  it('abort() sends RST at SND.NXT and tells the app', () => {
    const peer = established()
    peer.conn.write(pattern(100))
    peer.take()
    peer.conn.abort()
    expect(peer.one()).toMatchObject({ flags: RST | ACK, seq: 0x8000_0001 + 100, ack: peer.seq, window: 0 })
    expect(peer.app.closedReason).toBe('aborted')
    expect(peer.clock.pendingTimers).toBe(0)
  })

  it('close() on the stack resets every connection and cancels every timer', () => {
    const peer = established()
    peer.conn.write(pattern(100))
    peer.port = 40001
    peer.send({ flags: SYN, ack: 0 }) // a second one, half-open
    peer.take()
    peer.stack.close()
    expect(peer.take().map((s) => [s.dstPort, s.flags])).toEqual([[40000, RST | ACK], [40001, RST | ACK]])
    expect(peer.app.closedReason).toBe('stack closed')
    expect(peer.stack.stats.active).toBe(0)
    expect(peer.clock.pendingTimers).toBe(0)
  })
})

describe('TCP limits', () => {
  it('takes at most 16 connections; a SYN beyond them gets RST', () => {
    const peer = new ScriptedPeer()
    for (let port = 1; port <= 17; port++) peer.send({ srcPort: port, flags: SYN, ack: 0, seq: 1000 })
    const answers = peer.take()
    expect(answers.slice(0, 16).every((s) => s.flags === (SYN | ACK))).toBe(true)
    expect(answers[16]).toMatchObject({ dstPort: 17, flags: RST | ACK, seq: 0, ack: 1001 })
    expect(peer.stack.stats).toMatchObject({ active: 16, opened: 16 })
    peer.send({ srcPort: 1, flags: RST, seq: 1001, ack: 0 }) // one goes away: room for another
    peer.send({ srcPort: 17, flags: SYN, ack: 0, seq: 1000 })
    expect(peer.one().flags).toBe(SYN | ACK)
  })
})
