// The demo device's TCP: segments checked and handed to their connection,
// SYNs on listening ports turned into new connections (up to a cap, which
// TIME-WAIT connections give way to as in lwIP), and RSTs (RFC 9293 §3.10.7.1)
// for whatever reaches no connection.
import type { Clock } from '../clock.js'
import { seqAdd } from './sequence.js'
import { TcpConnection, type ConnectionHost, type TcpApp, type TcpStats } from './tcpConnection.js'
import { buildTcpSegment, readTcpSegment, sequenceLength, TcpFlag, type TcpHeaderFields, type TcpSegment } from './tcpSegment.js'

export { TcpConnection, type TcpApp, type TcpState, type TcpStats } from './tcpConnection.js'

/** Firmware max frame 1500 − 14 Ethernet − 20 IPv4 − 20 TCP. */
const DEFAULT_MSS = 1446
/** lwIP's TCP_WND and (about) TCP_SND_BUF. */
const DEFAULT_BUFFER = 4 * DEFAULT_MSS
const DEFAULT_MAX_CONNECTIONS = 16

export interface TcpOutput {
  /** Hands one finished TCP segment (header + payload, checksum filled in) to IPv4 for `remoteIp`. The stack may reuse nothing after this returns: the callee copies. */
  send(remoteIp: number, segment: Uint8Array): void
  /** Whether the link can take another full-size segment now (UART back-pressure). When false, new data is held until TcpStack.linkReady(). Retransmissions and pure ACKs/RSTs are always sent. */
  canSend(): boolean
}

export interface TcpStackOptions {
  /** IPv4 as an unsigned 32-bit number. */
  localIp: number
  output: TcpOutput
  clock: Clock
  /** Our MSS, default 1446. */
  mss?: number
  /** Per connection, default 4 × 1446; windows above 65535 are not offered (no window scaling). */
  receiveBuffer?: number
  /** Per connection, default 4 × 1446. */
  sendBuffer?: number
  /** Connections at once, default 16. When all are taken, the one longest in TIME-WAIT ends for a new SYN (lwIP's tcp_kill_timewait); with none in TIME-WAIT the SYN gets RST. */
  maxConnections?: number
  /** For initial sequence numbers; default Math.random. */
  random?: () => number
}

export class TcpStack {
  readonly stats: TcpStats = { active: 0, opened: 0, resets: 0, retransmissions: 0, segmentsIn: 0, segmentsOut: 0, dropped: 0 }
  private readonly connections = new Map<string, TcpConnection>()
  private readonly listeners = new Map<number, (conn: TcpConnection) => TcpApp>()
  private readonly host: ConnectionHost
  private readonly output: TcpOutput
  /** Changes when the device takes an address by DHCP (setLocalIp). */
  private localIp: number
  private readonly maxConnections: number
  private readonly random: () => number

  /** The device's address changed (a new DHCP lease): segments are read and sent with it from now on. */
  setLocalIp(ip: number): void {
    this.localIp = ip
  }

  constructor(options: TcpStackOptions) {
    const { output, clock } = options
    this.localIp = options.localIp
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS
    this.random = options.random ?? Math.random
    const stats = this.stats
    const mss = options.mss ?? DEFAULT_MSS
    const receiveBuffer = options.receiveBuffer ?? DEFAULT_BUFFER
    const sendBuffer = options.sendBuffer ?? DEFAULT_BUFFER
    if (!(mss >= 1 && mss <= 0xffff && receiveBuffer >= 1 && sendBuffer >= 1)) throw new RangeError('TCP: mss must be 1..65535 and buffers at least 1 byte')
    this.host = {
      clock, stats, mss, receiveBuffer, sendBuffer,
      send: (remoteIp, fields, payload) => this.send(remoteIp, fields, payload),
      canSend: () => output.canSend(),
      accept: (conn) => this.listeners.get(conn.localPort)?.(conn) ?? {},
      forget: (conn) => {
        this.connections.delete(connectionKey(conn.remoteIp, conn.remotePort, conn.localPort))
        stats.active = this.connections.size
      }
    }
    this.output = output
  }

  /** Accept connections on `port`; `accept` returns the app that serves each new connection (called when the connection reaches ESTABLISHED). */
  listen(port: number, accept: (conn: TcpConnection) => TcpApp): void {
    this.listeners.set(port, accept)
  }

  /** A TCP segment from `remoteIp` to our address ([header + payload], valid only during the call). Hostile bytes are dropped, never thrown on. */
  receive(remoteIp: number, bytes: Uint8Array): void {
    this.stats.segmentsIn++
    const segment = readTcpSegment(bytes, remoteIp, this.localIp)
    if (!segment || segment.srcPort === 0 || segment.dstPort === 0) {
      this.stats.dropped++
      return
    }
    const conn = this.connections.get(connectionKey(remoteIp, segment.srcPort, segment.dstPort))
    if (conn && !conn.reopenableBy(segment)) {
      conn.receive(segment)
      return
    }
    conn?.reset('reopened') // in TIME-WAIT: ends quietly, and the SYN finds its ports free
    this.noConnection(remoteIp, segment)
  }

  /** UART room came back: connections push what they hold. */
  linkReady(): void {
    for (const conn of this.connections.values()) conn.linkReady()
  }

  /** Sends RST on every connection and forgets them (device restart or stop); their timers go too. Listeners stay. */
  close(): void {
    for (const conn of [...this.connections.values()]) conn.reset('stack closed')
  }

  /** LISTEN on a port with a listener, CLOSED on any other (RFC 9293 §3.10.7.1–2). */
  private noConnection(remoteIp: number, segment: TcpSegment): void {
    const { flags } = segment
    if (flags & TcpFlag.RST) {
      this.stats.dropped++ // never answer a RST
      return
    }
    const listening = this.listeners.has(segment.dstPort)
    if (listening && !(flags & (TcpFlag.SYN | TcpFlag.ACK))) {
      this.stats.dropped++ // LISTEN drops what has neither SYN nor ACK
      return
    }
    if (!listening || flags & TcpFlag.ACK || !this.roomForOneMore()) {
      this.sendReset(remoteIp, segment)
      return
    }
    const iss = Math.floor(this.random() * 0x1_0000_0000) >>> 0
    const conn = new TcpConnection(this.host, remoteIp, segment, iss)
    this.connections.set(connectionKey(remoteIp, segment.srcPort, segment.dstPort), conn)
    this.stats.opened++
    this.stats.active = this.connections.size
  }

  /** Whether a new connection fits: under the cap, or once the connection longest in TIME-WAIT has ended. */
  private roomForOneMore(): boolean {
    if (this.connections.size < this.maxConnections) return true
    let oldest: TcpConnection | undefined
    let oldestSince = Infinity
    for (const conn of this.connections.values()) {
      const since = conn.timeWaitSince
      if (since !== null && since < oldestSince) {
        oldest = conn
        oldestSince = since
      }
    }
    oldest?.reset('TIME-WAIT cut short for a new connection') // sends nothing: all was said
    return oldest !== undefined
  }

  /** The RST for a segment that has no connection: SEQ = its ACK if it has one, else SEQ 0 with ACK = its SEQ + length. */
  private sendReset(remoteIp: number, segment: TcpSegment): void {
    const ports = { srcPort: segment.dstPort, dstPort: segment.srcPort, window: 0 }
    if (segment.flags & TcpFlag.ACK) {
      this.send(remoteIp, { ...ports, seq: segment.ack, ack: 0, flags: TcpFlag.RST })
      return
    }
    this.send(remoteIp, { ...ports, seq: 0, ack: seqAdd(segment.seq, sequenceLength(segment)), flags: TcpFlag.RST | TcpFlag.ACK })
  }

  private send(remoteIp: number, fields: TcpHeaderFields, payload?: Uint8Array): void {
    this.stats.segmentsOut++
    if (fields.flags & TcpFlag.RST) this.stats.resets++
    this.output.send(remoteIp, buildTcpSegment(this.localIp, remoteIp, fields, payload))
  }
}

function connectionKey(remoteIp: number, remotePort: number, localPort: number): string {
  return `${remoteIp}:${remotePort}:${localPort}`
}
