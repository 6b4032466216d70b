// One TCP connection of the demo device, from the peer's SYN to CLOSED
// (RFC 9293 §3.10, passive open only): the handshake, in-order receive into
// a fixed buffer whose free space is the advertised window, sending within
// the peer's window with RTO retransmission (go-back-N from SND.UNA), fast
// retransmit with NewReno partial ACKs, zero-window probes, FIN both ways,
// RST, and RFC 5961 challenge ACKs. Out-of-order data is not queued: it is
// dropped and answered with a duplicate ACK, and the peer's retransmission
// fills the gap.
import { ByteRing } from '../../byteRing.js'
import type { Clock, Timer } from '../clock.js'
import { MAX_RTO_MS, RetransmissionTimeout } from './retransmissionTimeout.js'
import { seqAdd, seqDiff, seqGeq, seqGt, seqLeq, seqLt } from './sequence.js'
import { sequenceLength, TcpFlag, type TcpHeaderFields, type TcpSegment } from './tcpSegment.js'

/** Timeouts of the same data before the connection gives up (RST, 'timed out'). */
export const MAX_RETRANSMISSIONS = 8
/** SYN-ACKs resent on timeout before a half-open connection is forgotten. */
export const MAX_SYN_ACK_RETRANSMISSIONS = 4
/** Unanswered zero-window probes before the connection gives up. */
export const MAX_UNANSWERED_PROBES = 8
/** 2 MSL on the device: short, its ports are not reused by active opens. */
export const TIME_WAIT_MS = 2000
/** FIN-WAIT-2 with nothing heard from the peer for this long ends the connection. */
export const FIN_WAIT_2_TIMEOUT_MS = 30_000
/** RFC 9293 §3.7.1: the peer's MSS when its SYN carries no option. */
const DEFAULT_PEER_MSS = 536
const MAX_WINDOW = 0xffff
const DUPLICATE_ACKS_FOR_FAST_RETRANSMIT = 3

export type TcpState = 'SYN_RECEIVED' | 'ESTABLISHED' | 'CLOSE_WAIT' | 'LAST_ACK' | 'FIN_WAIT_1' | 'FIN_WAIT_2' | 'CLOSING' | 'TIME_WAIT' | 'CLOSED'

/** States in which the peer may still send data. */
const RECEIVING: ReadonlySet<TcpState> = new Set(['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2'])
/** States in which we may still have data or a FIN to send. */
const SENDING: ReadonlySet<TcpState> = new Set(['ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT_1', 'CLOSING', 'LAST_ACK'])

export interface TcpApp {
  /** In-order data is waiting in the connection's receive buffer: call conn.read(). */
  onReadable?(conn: TcpConnection): void
  /** Send-buffer room appeared (after ACKs freed some). */
  onWritable?(conn: TcpConnection): void
  /** The peer sent FIN (no more data will come); data before it has been made readable first. */
  onPeerClosed?(conn: TcpConnection): void
  /** The connection is gone (closed normally, reset, or timed out); `reason` says which in a few words. */
  onClosed?(conn: TcpConnection, reason: string): void
}

export interface TcpStats {
  /** Connections in the table (any state but CLOSED). */
  active: number
  /** Connections created by an accepted SYN. */
  opened: number
  /** RSTs sent, plus acceptable RSTs received. */
  resets: number
  /** Segments sent again: RTO, fast retransmit, SYN-ACK repeats. */
  retransmissions: number
  segmentsIn: number
  segmentsOut: number
  /** Segments received and thrown away: malformed, bad checksum, out of window, out of order. */
  dropped: number
}

/** What a connection needs from its stack. */
export interface ConnectionHost {
  readonly clock: Clock
  readonly stats: TcpStats
  /** Our MSS. */
  readonly mss: number
  readonly receiveBuffer: number
  readonly sendBuffer: number
  /** Builds the segment (ports are in `fields`) and hands it to IPv4. */
  send(remoteIp: number, fields: TcpHeaderFields, payload?: Uint8Array): void
  /** Whether the link takes another full-size segment now. */
  canSend(): boolean
  /** The app for a connection that just reached ESTABLISHED. */
  accept(conn: TcpConnection): TcpApp
  /** The connection reached CLOSED: drop it from the table. */
  forget(conn: TcpConnection): void
}

// What one received segment asks of the app, told after the segment is processed.
const EVENT_ESTABLISHED = 1
const EVENT_READABLE = 2
const EVENT_PEER_CLOSED = 4
const EVENT_WRITABLE = 8

export class TcpConnection {
  readonly remoteIp: number
  readonly remotePort: number
  readonly localPort: number
  private current: TcpState = 'SYN_RECEIVED'
  private app: TcpApp | null = null
  private readonly received: ByteRing
  /** Bytes from SND.UNA on: sent and unacknowledged, then not yet sent. */
  private readonly unacked: ByteRing
  private readonly rto = new RetransmissionTimeout()
  private readonly iss: number
  private readonly irs: number
  /** Payload bytes per segment: min(our MSS, the peer's). */
  private readonly segmentSize: number
  /** Receive-window growth worth a window update on its own (RFC 1122 §4.2.3.3 receiver SWS avoidance). */
  private readonly windowUpdateStep: number
  private sndUna: number
  private sndNxt: number
  /** Highest SND.NXT so far: SND.NXT goes back to SND.UNA on a timeout (go-back-N). */
  private sndMax: number
  private sndWnd: number
  private sndWl1: number
  private sndWl2: number
  private rcvNxt: number
  /** The window in the last segment we sent. */
  private advertised = 0
  /** The app closed: FIN follows the queued data. */
  private finQueued = false
  private retries = 0
  private duplicateAcks = 0
  /** After a fast retransmit: SND.MAX then; ACKs below it are partial (RFC 6582, NewReno) and resend the next hole. */
  private recoverSeq: number | null = null
  /** Round-trip timing of one segment: the ACK that ends it and when the segment left. */
  private timedSeq: number | null = null
  private timedAt = 0
  private timer: Timer | null = null
  private timerKind: 'retransmit' | 'persist' | null = null
  private probeBackoffs = 0
  private unansweredProbes = 0
  /** FIN-WAIT-2 and TIME-WAIT. */
  private lingerTimer: Timer | null = null
  /** When TIME-WAIT began or was last restarted. */
  private timeWaitStartedAt = 0
  private ackDue = false
  /** Inside receive(): what the app does in its callbacks goes out in one flush afterwards. */
  private busy = false

  /** A connection for the peer's SYN `syn`; answers it with a SYN-ACK at once. Created by TcpStack. */
  constructor(private readonly host: ConnectionHost, remoteIp: number, syn: TcpSegment, iss: number) {
    this.remoteIp = remoteIp
    this.remotePort = syn.srcPort
    this.localPort = syn.dstPort
    this.received = new ByteRing(host.receiveBuffer)
    this.unacked = new ByteRing(host.sendBuffer)
    this.iss = iss
    this.irs = syn.seq
    this.rcvNxt = seqAdd(syn.seq, 1)
    this.sndUna = iss
    this.sndNxt = seqAdd(iss, 1)
    this.sndMax = this.sndNxt
    this.sndWnd = syn.window
    this.sndWl1 = syn.seq
    this.sndWl2 = iss
    this.segmentSize = Math.min(host.mss, syn.mss || DEFAULT_PEER_MSS)
    this.windowUpdateStep = Math.max(1, Math.min(host.mss, Math.floor(host.receiveBuffer / 2)))
    this.sendSynAck()
    this.timedSeq = this.sndNxt
    this.timedAt = host.clock.now()
    this.armTimer()
  }

  get state(): TcpState {
    return this.current
  }

  /** Bytes waiting in the receive buffer. */
  get readable(): number {
    return this.received.length
  }

  /** When TIME-WAIT began (or was restarted by a repeated FIN); null in any other state. */
  get timeWaitSince(): number | null {
    return this.current === 'TIME_WAIT' ? this.timeWaitStartedAt : null
  }

  /**
   * Whether `segment` is a SYN that may open a new connection on these ports
   * although this one is still in TIME-WAIT: its sequence number lies beyond
   * everything the old one received, so no old duplicate can be mistaken for
   * new data (RFC 1122 §4.2.2.13; RFC 6191 without timestamps; Linux's rule).
   */
  reopenableBy(segment: TcpSegment): boolean {
    return this.current === 'TIME_WAIT' && (segment.flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN && seqGt(segment.seq, this.rcvNxt)
  }

  /** Free send-buffer bytes (0 once the app closed or the connection cannot send). */
  get writable(): number {
    return this.acceptsWrites() ? this.unacked.free : 0
  }

  /** Takes up to `max` bytes (default all) from the receive buffer; a window update goes out when the window grew by a segment (or half the buffer). */
  read(max = Infinity): Uint8Array {
    const data = this.received.take(max > 0 ? Math.floor(max) : 0)
    if (data.length > 0 && RECEIVING.has(this.current) && this.receiveWindow() - this.advertised >= this.windowUpdateStep) {
      this.ackDue = true
      this.flush()
    }
    return data
  }

  /** Queues up to `writable` bytes; returns how many were taken. */
  write(data: Uint8Array): number {
    if (!this.acceptsWrites()) return 0
    const taken = this.unacked.append(data)
    if (taken > 0) this.flush()
    return taken
  }

  /** Graceful close: FIN after all queued data is sent. */
  close(): void {
    if (this.finQueued) return
    if (this.current === 'ESTABLISHED') this.current = 'FIN_WAIT_1'
    else if (this.current === 'CLOSE_WAIT') this.current = 'LAST_ACK'
    else return
    this.finQueued = true
    this.flush()
  }

  /** RST now. */
  abort(): void {
    this.reset('aborted')
  }

  /** A segment the stack found for this connection. */
  receive(segment: TcpSegment): void {
    if (this.current === 'CLOSED') return
    this.busy = true
    try {
      this.tell(this.process(segment))
    } finally {
      this.busy = false
    }
    this.flush()
  }

  /** The link has room again: send what waits. */
  linkReady(): void {
    this.flush()
  }

  /** Sends RST (unless nothing is left to reset) and closes with `reason`. */
  reset(reason: string): void {
    if (this.current === 'CLOSED') return
    if (this.current !== 'TIME_WAIT') this.sendControl(this.sndMax, TcpFlag.RST | TcpFlag.ACK)
    this.finish(reason)
  }

  private acceptsWrites(): boolean {
    return !this.finQueued && (this.current === 'ESTABLISHED' || this.current === 'CLOSE_WAIT')
  }

  /** RFC 9293 §3.10.7.4 in order: sequence check, RST, SYN, ACK, data, FIN. Returns EVENT_* bits for the app. */
  private process(segment: TcpSegment): number {
    const { flags } = segment
    if (this.current === 'SYN_RECEIVED' && (flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN && segment.seq === this.irs) {
      // The peer did not get our SYN-ACK and sent its SYN again.
      this.host.stats.retransmissions++
      this.timedSeq = null
      this.sendSynAck()
      return 0
    }
    if (!this.acceptable(segment)) {
      this.host.stats.dropped++
      if (flags & TcpFlag.RST) return 0
      this.ackDue = true
      if (this.current === 'TIME_WAIT' && flags & TcpFlag.FIN) this.startTimeWait() // RFC 9293: restart 2 MSL
      return 0
    }
    this.unansweredProbes = 0
    if (this.current === 'FIN_WAIT_2') this.linger(FIN_WAIT_2_TIMEOUT_MS, 'timed out')
    if (flags & TcpFlag.RST) {
      // RFC 5961 §3.2: only an exact RST resets; any other in the window gets a challenge ACK.
      if (segment.seq !== this.rcvNxt) this.ackDue = true
      else {
        this.host.stats.resets++
        this.finish(this.current === 'TIME_WAIT' ? 'closed' : 'reset by peer') // in TIME_WAIT all was said already
      }
      return 0
    }
    if (flags & TcpFlag.SYN) {
      this.ackDue = true // RFC 5961 §4.2: challenge ACK; a peer that restarted answers it with a RST
      return 0
    }
    if (!(flags & TcpFlag.ACK)) return 0
    let events = 0
    if (this.current === 'SYN_RECEIVED') {
      if (!this.establish(segment)) return 0
      events |= EVENT_ESTABLISHED
    }
    events |= this.processAck(segment)
    if (this.current === 'CLOSED') return events
    return events | this.processData(segment)
  }

  /** RFC 9293's acceptability test; a segment exactly at RCV.NXT also passes a zero window so its ACK still counts. */
  private acceptable(segment: TcpSegment): boolean {
    const length = sequenceLength(segment)
    const window = this.receiveWindow()
    if (segment.seq === this.rcvNxt) return true
    if (window === 0) return false
    const inWindow = (seq: number): boolean => seqGeq(seq, this.rcvNxt) && seqDiff(seq, this.rcvNxt) < window
    return inWindow(segment.seq) || (length > 0 && inWindow(seqAdd(segment.seq, length - 1)))
  }

  /** SYN-RECEIVED → ESTABLISHED on the ACK of our SYN; a wrong ACK gets a RST (RFC 9293). */
  private establish(segment: TcpSegment): boolean {
    if (segment.ack !== this.sndNxt) {
      this.host.send(this.remoteIp, this.fields(segment.ack, 0, TcpFlag.RST))
      return false
    }
    this.takeRttSample(segment.ack)
    this.sndUna = segment.ack
    this.retries = 0
    this.stopTimer()
    this.current = 'ESTABLISHED'
    return true
  }

  private processAck(segment: TcpSegment): number {
    const { ack } = segment
    if (seqGt(ack, this.sndMax)) {
      this.ackDue = true // acknowledges what we never sent
      return 0
    }
    let events = 0
    if (seqGt(ack, this.sndUna)) {
      const acked = seqDiff(ack, this.sndUna)
      const dataAcked = Math.min(acked, this.unacked.length)
      this.unacked.discard(dataAcked)
      this.sndUna = ack
      if (seqLt(this.sndNxt, ack)) this.sndNxt = ack
      this.takeRttSample(ack)
      this.retries = 0
      this.duplicateAcks = 0
      this.stopTimer() // RFC 6298 §5.3: restarted for what is still outstanding
      if (dataAcked > 0) events |= EVENT_WRITABLE
      if (acked > dataAcked) this.ourFinAcked() // past the data there is only our FIN
      else if (this.recoverSeq !== null && seqLt(ack, this.recoverSeq)) this.retransmitFirst()
      else this.recoverSeq = null
    } else if (ack === this.sndUna && this.isDuplicateAck(segment) && ++this.duplicateAcks === DUPLICATE_ACKS_FOR_FAST_RETRANSMIT && this.recoverSeq === null) {
      this.recoverSeq = this.sndMax
      this.retransmitFirst()
    }
    if (seqLt(this.sndWl1, segment.seq) || (this.sndWl1 === segment.seq && seqLeq(this.sndWl2, ack))) {
      this.sndWnd = segment.window
      this.sndWl1 = segment.seq
      this.sndWl2 = ack
    }
    return events
  }

  /** RFC 5681 §2: no data, no FIN, same window, while data is outstanding; not the answers to zero-window probes. */
  private isDuplicateAck(segment: TcpSegment): boolean {
    const sameOpenWindow = segment.window === this.sndWnd && this.sndWnd > 0
    return segment.payload.length === 0 && !(segment.flags & TcpFlag.FIN) && sameOpenWindow && seqGt(this.sndMax, this.sndUna)
  }

  private ourFinAcked(): void {
    if (this.current === 'FIN_WAIT_1') {
      this.current = 'FIN_WAIT_2'
      this.linger(FIN_WAIT_2_TIMEOUT_MS, 'timed out')
    } else if (this.current === 'CLOSING') this.enterTimeWait()
    else if (this.current === 'LAST_ACK') this.finish('closed')
  }

  /** In-order data into the receive buffer (the part already received and the part beyond the window cut off), then the FIN. */
  private processData(segment: TcpSegment): number {
    const { payload } = segment
    const fin = (segment.flags & TcpFlag.FIN) !== 0
    if (!RECEIVING.has(this.current) || (payload.length === 0 && !fin)) return 0
    this.ackDue = true // data, duplicates and out-of-order segments are all answered at once
    const alreadyReceived = seqDiff(this.rcvNxt, segment.seq)
    if (alreadyReceived < 0) {
      this.host.stats.dropped++ // a gap before it: not queued
      return 0
    }
    const fresh = payload.length - alreadyReceived
    const taken = Math.max(0, Math.min(fresh, this.receiveWindow()))
    let events = 0
    if (taken > 0) {
      this.received.push(payload.subarray(alreadyReceived, alreadyReceived + taken))
      this.rcvNxt = seqAdd(this.rcvNxt, taken)
      events |= EVENT_READABLE
    }
    if (!fin || fresh < 0 || taken < fresh) return events
    this.rcvNxt = seqAdd(this.rcvNxt, 1)
    if (this.current === 'ESTABLISHED') this.current = 'CLOSE_WAIT'
    else if (this.current === 'FIN_WAIT_1') this.current = 'CLOSING'
    else this.enterTimeWait()
    return events | EVENT_PEER_CLOSED
  }

  /** Tells the app what `events` brought, stopping if one of its callbacks ends the connection. */
  private tell(events: number): void {
    if (events & EVENT_ESTABLISHED) this.app = this.host.accept(this)
    const app = this.app
    const open = (): boolean => app !== null && this.current !== 'CLOSED'
    if (events & EVENT_READABLE && open() && this.received.length > 0) app?.onReadable?.(this)
    if (events & EVENT_PEER_CLOSED && open()) app?.onPeerClosed?.(this)
    if (events & EVENT_WRITABLE && open() && this.writable > 0) app?.onWritable?.(this)
  }

  /** Sends what the window, the segment size and the link allow, then a pure ACK if one is still due. */
  private flush(): void {
    if (this.busy || this.current === 'CLOSED') return
    if (SENDING.has(this.current)) this.transmit()
    if (this.ackDue) this.sendControl(this.sndMax, TcpFlag.ACK)
    this.armTimer()
  }

  private transmit(): void {
    for (;;) {
      const offset = seqDiff(this.sndNxt, this.sndUna)
      const unsent = this.unacked.length - offset // -1 once our FIN is out
      const size = Math.max(0, Math.min(unsent, this.sndWnd - offset, this.segmentSize))
      const fin = this.finQueued && unsent >= 0 && size === unsent
      if (size === 0 && !fin) return
      // New data waits for the link; go-back-N repeats and a lone FIN do not.
      if (size > 0 && seqGeq(this.sndNxt, this.sndMax) && !this.host.canSend()) return
      this.sndNxt = this.sendData(this.sndNxt, size, fin)
    }
  }

  /** One segment at `seq` with `size` bytes from the send buffer (and FIN); returns the sequence number after it. */
  private sendData(seq: number, size: number, fin: boolean): number {
    const offset = seqDiff(seq, this.sndUna)
    const push = size > 0 && offset + size === this.unacked.length
    const flags = TcpFlag.ACK | (push ? TcpFlag.PSH : 0) | (fin ? TcpFlag.FIN : 0)
    this.host.send(this.remoteIp, this.fields(seq, this.rcvNxt, flags), this.unacked.slice(offset, size))
    this.ackDue = false
    const end = seqAdd(seq, size + (fin ? 1 : 0))
    if (seqLt(seq, this.sndMax)) {
      this.host.stats.retransmissions++
      this.timedSeq = null // Karn: an ACK now could be for either copy
    } else if (this.timedSeq === null) {
      this.timedSeq = end
      this.timedAt = this.host.clock.now()
    }
    if (seqGt(end, this.sndMax)) this.sndMax = end
    return end
  }

  /** The first unacknowledged segment again (timeout or fast retransmit), at least one byte even into a closed window. */
  private retransmitFirst(): void {
    const size = Math.min(this.segmentSize, this.unacked.length, Math.max(1, this.sndWnd))
    const end = this.sendData(this.sndUna, size, this.finQueued && size === this.unacked.length)
    if (seqLt(this.sndNxt, end)) this.sndNxt = end
  }

  private sendSynAck(): void {
    this.host.send(this.remoteIp, { ...this.fields(this.iss, this.rcvNxt, TcpFlag.SYN | TcpFlag.ACK), mss: this.host.mss })
  }

  private sendControl(seq: number, flags: number): void {
    this.host.send(this.remoteIp, this.fields(seq, this.rcvNxt, flags))
    this.ackDue = false
  }

  private fields(seq: number, ack: number, flags: number): TcpHeaderFields {
    const window = flags & TcpFlag.RST ? 0 : this.receiveWindow()
    if (!(flags & TcpFlag.RST)) this.advertised = window
    return { srcPort: this.localPort, dstPort: this.remotePort, seq, ack: flags & TcpFlag.ACK ? ack : 0, flags, window }
  }

  private receiveWindow(): number {
    return Math.min(MAX_WINDOW, this.received.free)
  }

  private takeRttSample(ack: number): void {
    if (this.timedSeq === null || seqLt(ack, this.timedSeq)) return
    this.rto.sample(this.host.clock.now() - this.timedAt)
    this.timedSeq = null
  }

  /** The retransmission timer while anything is in flight, the persist timer while data waits on a zero window, else none. */
  private armTimer(): void {
    if (this.current === 'CLOSED' || this.current === 'TIME_WAIT') this.stopTimer()
    else if (seqGt(this.sndNxt, this.sndUna)) {
      if (this.timerKind !== 'retransmit') this.startTimer('retransmit', this.rto.ms)
    } else if (this.unacked.length > 0 && this.sndWnd === 0) {
      if (this.timerKind !== 'persist') {
        this.probeBackoffs = 0
        this.startTimer('persist', this.rto.ms)
      }
    } else this.stopTimer()
  }

  private startTimer(kind: 'retransmit' | 'persist', ms: number): void {
    this.timer?.cancel()
    this.timerKind = kind
    this.timer = this.host.clock.after(ms, () => {
      this.timer = null
      this.timerKind = null
      if (kind === 'retransmit') this.retransmitTimeout()
      else this.probeZeroWindow()
    })
  }

  private stopTimer(): void {
    this.timer?.cancel()
    this.timer = null
    this.timerKind = null
  }

  private retransmitTimeout(): void {
    if (this.current !== 'SYN_RECEIVED' && this.sndWnd === 0 && this.unacked.length > 0) {
      // What is outstanding lies beyond a closed window: probe it instead, which does not give up while the peer answers.
      this.sndNxt = this.sndUna
      this.timedSeq = null
      this.probeZeroWindow()
      return
    }
    const limit = this.current === 'SYN_RECEIVED' ? MAX_SYN_ACK_RETRANSMISSIONS : MAX_RETRANSMISSIONS
    if (++this.retries > limit) {
      if (this.current === 'SYN_RECEIVED') this.finish('handshake timed out')
      else this.reset('timed out')
      return
    }
    this.rto.backOff()
    this.duplicateAcks = 0
    this.recoverSeq = null
    if (this.current === 'SYN_RECEIVED') {
      this.host.stats.retransmissions++
      this.timedSeq = null
      this.sendSynAck()
    } else {
      this.sndNxt = this.sndUna // go-back-N: the rest follows as ACKs come back
      this.retransmitFirst()
    }
    this.armTimer()
  }

  /** An ACK with a sequence number just below the window: any TCP answers it with its current window (as Linux probes). */
  private probeZeroWindow(): void {
    if (++this.unansweredProbes > MAX_UNANSWERED_PROBES) {
      this.reset('timed out')
      return
    }
    this.sendControl(seqAdd(this.sndUna, -1), TcpFlag.ACK)
    this.probeBackoffs++
    this.startTimer('persist', Math.min(this.rto.ms * 2 ** this.probeBackoffs, MAX_RTO_MS))
  }

  private enterTimeWait(): void {
    this.current = 'TIME_WAIT'
    this.stopTimer()
    this.startTimeWait()
  }

  private startTimeWait(): void {
    this.timeWaitStartedAt = this.host.clock.now()
    this.linger(TIME_WAIT_MS, 'closed')
  }

  /** (Re)starts the FIN-WAIT-2 / TIME-WAIT timer that ends the connection with `reason`. */
  private linger(ms: number, reason: string): void {
    this.lingerTimer?.cancel()
    this.lingerTimer = this.host.clock.after(ms, () => {
      this.lingerTimer = null
      this.reset(reason)
    })
  }

  private finish(reason: string): void {
    this.current = 'CLOSED'
    this.stopTimer()
    this.lingerTimer?.cancel()
    this.lingerTimer = null
    this.host.forget(this)
    this.app?.onClosed?.(this, reason)
  }
}
