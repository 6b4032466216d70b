// The host's side of the demo device's TCP in tests: a scripted peer that
// sends hand-made segments and records what the stack answers, an app that
// records what the stack tells it, and HostTcp, a small independent TCP
// model (active open, go-back-N with a fixed timeout, in-order receive, FIN)
// for the lossy-link simulations.
import type { Clock, Timer } from '../../src/demo/stack/clock.js'
import { ipv4FromText } from '../../src/demo/stack/ipv4Address.js'
import { seqAdd, seqDiff, seqGt } from '../../src/demo/stack/tcp/sequence.js'
import { buildTcpSegment, readTcpSegment, TcpFlag, type TcpHeaderFields, type TcpSegment } from '../../src/demo/stack/tcp/tcpSegment.js'
import { TcpStack, type TcpApp, type TcpConnection, type TcpStackOptions } from '../../src/demo/stack/tcp/tcpStack.js'
import { ManualClock } from '../helpers/manualClock.js'

export const DEVICE_IP = ipv4FromText('192.168.100.2')
export const HOST_IP = ipv4FromText('192.168.100.1')
export const HOST_PORT = 40000
export const PORT = 7
export const { SYN, ACK, FIN, RST, PSH } = TcpFlag

/** Bytes 0, 1, 2, … (mod 251, so shifted copies differ). */
export function pattern(length: number, start = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) % 251)
}

/** What the stack told one connection's app. */
export interface AppRecord {
  conn: TcpConnection
  events: string[]
  /** Everything read, in order (when the app reads on its own). */
  data: Uint8Array[]
  closedReason?: string
}

/**
 * A stack on a manual clock, a listener on PORT, and a host that sends
 * segments by hand: `seq` and `ack` follow the conversation when `send` is
 * given no explicit values.
 */
export class ScriptedPeer {
  readonly clock = new ManualClock()
  readonly stack: TcpStack
  readonly apps: AppRecord[] = []
  /** Segments the device sent, checksum-verified, not yet taken. */
  private readonly outbox: TcpSegment[] = []
  linkOpen = true
  /** Whether the app reads what arrives at once. */
  autoRead = true
  seq = 0x1000
  /** The next sequence number expected from the device. */
  ack = 0
  port = HOST_PORT

  constructor(options: Partial<TcpStackOptions> = {}) {
    this.stack = new TcpStack({
      localIp: DEVICE_IP,
      clock: this.clock,
      random: () => 0.5,
      output: {
        send: (remoteIp, bytes) => {
          const segment = readTcpSegment(Uint8Array.from(bytes), DEVICE_IP, remoteIp)
          if (!segment || remoteIp !== HOST_IP) throw new Error('device sent a bad segment')
          this.outbox.push(segment)
        },
        canSend: () => this.linkOpen
      },
      ...options
    })
    this.stack.listen(PORT, (conn) => this.recordingApp(conn))
  }

  get app(): AppRecord {
    const app = this.apps.at(-1)
    if (!app) throw new Error('no connection accepted')
    return app
  }

  get conn(): TcpConnection {
    return this.app.conn
  }

  /** A segment from the host; unset fields continue the conversation (ACK set, window 65535). */
  send(fields: Partial<TcpHeaderFields> & { payload?: Uint8Array } = {}): void {
    const { payload, ...header } = fields
    const complete: TcpHeaderFields = { srcPort: this.port, dstPort: PORT, seq: this.seq, ack: this.ack, flags: ACK, window: 65535, ...header }
    this.stack.receive(HOST_IP, buildTcpSegment(HOST_IP, DEVICE_IP, complete, payload))
  }

  /** Sends `payload` at the host's current seq and moves seq past it. */
  sendData(payload: Uint8Array, flags = ACK | PSH): void {
    this.send({ payload, flags })
    this.seq = seqAdd(this.seq, payload.length + (flags & FIN ? 1 : 0))
  }

  /** All segments the device sent since the last take. */
  take(): TcpSegment[] {
    return this.outbox.splice(0)
  }

  /** The one segment the device sent since the last take. */
  one(): TcpSegment {
    const segments = this.take()
    if (segments.length !== 1) throw new Error(`expected one segment, got ${segments.length}`)
    return segments[0]!
  }

  /** SYN (with `mss`), SYN-ACK, ACK: returns the SYN-ACK. */
  handshake(mss?: number, window = 65535): TcpSegment {
    this.send({ flags: SYN, ack: 0, mss, window })
    const synAck = this.one()
    this.seq = seqAdd(this.seq, 1)
    this.ack = seqAdd(synAck.seq, 1)
    this.send({ window })
    return synAck
  }

  /** Acknowledges everything up to the end of the last of `segments`. */
  acknowledge(segments: TcpSegment[], window = 65535): void {
    const last = segments.at(-1)
    if (last) this.ack = seqAdd(last.seq, last.payload.length + (last.flags & FIN ? 1 : 0))
    this.send({ window })
  }

  private recordingApp(conn: TcpConnection): TcpApp {
    const record: AppRecord = { conn, events: ['accepted'], data: [] }
    this.apps.push(record)
    return {
      onReadable: (c) => {
        record.events.push('readable')
        if (this.autoRead) record.data.push(c.read())
      },
      onWritable: () => record.events.push('writable'),
      onPeerClosed: () => record.events.push('peer closed'),
      onClosed: (_c, reason) => {
        record.events.push(`closed: ${reason}`)
        record.closedReason = reason
      }
    }
  }
}

/**
 * One request and response on `port` that the device closes first, as the
 * demo's HTTP/1.0 server does, then the host's FIN: the device's end sits in
 * TIME-WAIT. The host starts at sequence number `seq` (by default one far
 * from other ports'); returns its FIN's.
 */
export function exchangeClosedByDevice(peer: ScriptedPeer, port: number, seq = (port * 0x10000) >>> 0): number {
  peer.port = port
  peer.seq = seq
  const synAck = peer.handshake()
  if (synAck.flags !== (SYN | ACK)) throw new Error(`the SYN on port ${port} was answered with flags ${synAck.flags}, not SYN-ACK`)
  peer.sendData(pattern(20)) // the request
  peer.take()
  peer.conn.write(pattern(100)) // the response, then the server's close
  peer.conn.close()
  const response = peer.take()
  if (!(response.at(-1)!.flags & FIN)) throw new Error('the device did not close after its response')
  peer.acknowledge(response)
  const finSeq = peer.seq
  peer.sendData(new Uint8Array(0), ACK | FIN)
  peer.take()
  if (peer.conn.state !== 'TIME_WAIT') throw new Error(`the device's end is in ${peer.conn.state}, not TIME_WAIT`)
  return finSeq
}

/** A deterministic source of numbers in [0, 1) (mulberry32), so a failing fast-check run replays. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface HostTcpOptions {
  clock: Clock
  /** Puts a finished segment on the wire towards the device. */
  transmit(segment: Uint8Array): void
  data: Uint8Array
  iss: number
  mss: number
  window: number
  rtoMs: number
}

/**
 * The host's end of one connection: SYN (repeated until answered), data in
 * segments within the device's window, go-back-N from the first
 * unacknowledged byte on a fixed timeout (which also probes a zero window with
 * one byte), FIN after the data, in-order receive (anything else is answered
 * with a duplicate ACK). It never gives up: the test's time limit does.
 */
export class HostTcp {
  readonly received: Uint8Array[] = []
  /** RSTs the device sent before this end was done. */
  resets = 0
  private established = false
  private irs = 0
  private rcvNxt = 0
  private sndUna: number
  private sndNxt: number
  private sndMax: number
  private peerWindow = 0
  private peerMss = 536
  private peerFin = false
  private timer: Timer | null = null

  constructor(private readonly o: HostTcpOptions) {
    this.sndUna = o.iss
    this.sndNxt = o.iss
    this.sndMax = o.iss
  }

  /** All data and our FIN acknowledged, and the device's FIN received. */
  get done(): boolean {
    return this.peerFin && this.sndUna === seqAdd(this.o.iss, this.o.data.length + 2)
  }

  connect(): void {
    this.sendSyn()
  }

  /** A segment from the device (bytes straight from the link). */
  receive(bytes: Uint8Array): void {
    const segment = readTcpSegment(bytes, DEVICE_IP, HOST_IP)
    if (!segment) throw new Error('the device sent a segment with a bad checksum')
    if (segment.flags & RST) {
      if (!this.done) this.resets++
      return
    }
    if (segment.flags & SYN) {
      this.synAck(segment)
      return
    }
    if (!this.established) return
    this.acknowledged(segment)
    this.data(segment)
    this.output()
  }

  private synAck(segment: TcpSegment): void {
    if (this.done) {
      // A late duplicate SYN opened a new connection on the device: refuse it like a host without a socket.
      this.send({ seq: segment.ack, ack: 0, flags: RST, window: 0 })
      return
    }
    if (segment.ack !== seqAdd(this.o.iss, 1) || segment.mss === undefined) throw new Error('bad SYN-ACK')
    if (!this.established) {
      this.established = true
      this.irs = segment.seq
      this.rcvNxt = seqAdd(segment.seq, 1)
      this.sndUna = this.sndNxt = this.sndMax = seqAdd(this.o.iss, 1)
      this.peerMss = segment.mss
      this.peerWindow = segment.window
      this.stopTimer()
    }
    if (segment.seq === this.irs) this.sendAck()
    this.output()
  }

  private acknowledged(segment: TcpSegment): void {
    if (!(segment.flags & ACK) || seqGt(segment.ack, this.sndMax) || seqDiff(segment.ack, this.sndUna) < 0) return
    if (seqGt(segment.ack, this.sndUna)) {
      this.sndUna = segment.ack
      if (seqGt(this.sndUna, this.sndNxt)) this.sndNxt = this.sndUna
      this.stopTimer()
    }
    this.peerWindow = segment.window
  }

  private data(segment: TcpSegment): void {
    const fin = (segment.flags & FIN) !== 0
    if (segment.payload.length === 0 && !fin) return
    const skip = seqDiff(this.rcvNxt, segment.seq)
    if (skip >= 0 && skip <= segment.payload.length && !this.peerFin) {
      if (skip < segment.payload.length) this.received.push(segment.payload.slice(skip))
      this.rcvNxt = seqAdd(this.rcvNxt, segment.payload.length - skip)
      if (fin) {
        this.rcvNxt = seqAdd(this.rcvNxt, 1)
        this.peerFin = true
      }
    }
    this.sendAck()
  }

  /** New segments within the device's window, FIN after the data. */
  private output(): void {
    const dataEnd = seqAdd(this.o.iss, 1 + this.o.data.length)
    for (;;) {
      const offset = seqDiff(this.sndNxt, seqAdd(this.o.iss, 1))
      const room = this.peerWindow - seqDiff(this.sndNxt, this.sndUna)
      const size = Math.max(0, Math.min(this.o.data.length - offset, room, this.peerMss, this.o.mss))
      const fin = seqAdd(this.sndNxt, size) === dataEnd
      if (size === 0 && !fin) break
      this.sendData(size, fin)
    }
    this.armTimer()
  }

  private sendData(size: number, fin: boolean): void {
    const offset = seqDiff(this.sndNxt, seqAdd(this.o.iss, 1))
    const payload = this.o.data.subarray(offset, offset + size)
    this.send({ seq: this.sndNxt, ack: this.rcvNxt, flags: ACK | (fin ? FIN : 0), window: this.o.window }, payload)
    this.sndNxt = seqAdd(this.sndNxt, size + (fin ? 1 : 0))
    if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt
  }

  private sendSyn(): void {
    this.send({ seq: this.o.iss, ack: 0, flags: SYN, window: this.o.window, mss: this.o.mss })
    this.sndMax = seqAdd(this.o.iss, 1)
    this.armTimer()
  }

  private sendAck(): void {
    this.send({ seq: this.sndMax, ack: this.rcvNxt, flags: ACK, window: this.o.window })
  }

  private send(fields: Omit<TcpHeaderFields, 'srcPort' | 'dstPort'>, payload?: Uint8Array): void {
    this.o.transmit(buildTcpSegment(HOST_IP, DEVICE_IP, { srcPort: HOST_PORT, dstPort: PORT, ...fields }, payload))
  }

  private armTimer(): void {
    const finAcked = this.sndUna === seqAdd(this.o.iss, this.o.data.length + 2)
    if (this.timer || (this.established && finAcked)) return
    this.timer = this.o.clock.after(this.o.rtoMs, () => {
      this.timer = null
      this.timeout()
    })
  }

  private stopTimer(): void {
    this.timer?.cancel()
    this.timer = null
  }

  private timeout(): void {
    if (!this.established) {
      this.sendSyn()
      return
    }
    // Go back to the first unacknowledged byte; at least one byte, so a zero window gets probed.
    this.sndNxt = this.sndUna
    const offset = seqDiff(this.sndNxt, seqAdd(this.o.iss, 1))
    const unsent = this.o.data.length - offset
    const size = Math.max(0, Math.min(unsent, Math.max(1, this.peerWindow), this.peerMss, this.o.mss))
    this.sendData(size, size === unsent)
    this.output()
  }
}
