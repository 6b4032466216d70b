// The device's UART transmit side: a bounded transmit buffer drained at the
// line rate (8N1: 10 bits per byte, so 115 200 baud carries 11 520 bytes/s),
// or as fast as the socket takes it at baud 0. Frames that do not fit are
// dropped and counted, as a full lwIP netif queue would. Frames go on the wire
// in the engine's framing (the firmware's 2-byte length unless told): its
// record header before the frame, or the frame as its encoder writes it
// (SLIP's escapes). The queue, the counters and the pacing are in wire bytes.
import type { Framing } from '../../engine/framing/framing.js'
import { esp32Framing } from '../../engine/framing/esp32.js'
import type { Clock, Timer } from '../stack/clock.js'
import { ByteRing } from '../byteRing.js'
/** Paced output is written in slices about this far apart. */
const TICK_MS = 10
/**
 * The most line time one slice may make up for. A late tick (a busy host) left
 * the line idle for the difference, as a stalled CPU leaves a real UART's line
 * idle once its FIFO is empty; sending the backlog at once would put more on
 * the wire in a second than the line can carry.
 */
const MAX_SLICE_MS = 4 * TICK_MS
/** Bytes of transmit buffer (about 1.4 s of line at 115 200 baud). */
const QUEUE_BYTES = 16 * 1024
/** TCP holds new data while more than this is queued, so the buffer leaves room for replies. */
const READY_BELOW = 4 * 1024

export interface UartTransmitterCounters {
  frames: number
  /** Wire bytes: record headers and escapes included. */
  bytes: number
  /** Frames dropped because the transmit buffer was full. */
  dropped: number
  /** Bytes that went nowhere because no client was connected (QEMU drops them). */
  unheard: number
}

export interface UartTransmitterOptions {
  baud: number
  clock: Clock
  /** Writes to the connected client; false when the socket's own buffer is full (call drained() later). */
  write(bytes: Uint8Array): boolean
  /** Room came back after canSend() said no. */
  onReady(): void
  /** How frames go on the wire; the ESP32 firmware's 2-byte length when not given. */
  framing?: Pick<Framing, 'header' | 'encoder'>
}

export class UartTransmitter {
  readonly counters: UartTransmitterCounters = { frames: 0, bytes: 0, dropped: 0, unheard: 0 }
  private readonly queue = new ByteRing(QUEUE_BYTES)
  private readonly bytesPerMs: number
  private readonly framing: Pick<Framing, 'header' | 'encoder'>
  /** Where a record header, or a whole encoded frame, is written before it is queued. */
  private scratch: Uint8Array
  private timer: Timer | null = null
  private lastTick = 0
  private credit = 0
  private connected = false
  private socketFull = false
  private someoneWaiting = false

  constructor(private readonly options: UartTransmitterOptions) {
    this.bytesPerMs = options.baud / 10 / 1000
    this.framing = options.framing ?? esp32Framing
    this.scratch = new Uint8Array(this.framing.header.bytes)
  }

  /** A client connected (true) or went away (false: what is queued is lost, the next client starts on a record). */
  setConnected(connected: boolean): void {
    this.connected = connected
    this.socketFull = false
    this.counters.unheard += this.queue.length
    this.queue.clear()
    this.notifyIfReady()
  }

  /** Whether a full-size frame can be queued now without crowding out replies. */
  canSend(): boolean {
    const ready = this.queue.length < READY_BELOW && !this.socketFull
    if (!ready) this.someoneWaiting = true
    return ready
  }

  /** Queues one frame as a record; false if it was dropped. */
  sendFrame(frame: Uint8Array): boolean {
    const encoder = this.framing.encoder
    let wire: number
    if (encoder) {
      const most = encoder.maxBytes(frame.length)
      if (this.scratch.length < most) this.scratch = new Uint8Array(most)
      wire = encoder.encode(frame, 0, frame.length, this.scratch, 0)
    } else {
      wire = this.framing.header.bytes + frame.length
    }
    if (!this.connected) {
      this.counters.unheard += wire
      return true // the firmware sent it; QEMU threw it away
    }
    if (this.queue.free < wire) {
      this.counters.dropped++
      return false
    }
    if (encoder) {
      this.queue.push(this.scratch.subarray(0, wire))
    } else {
      this.framing.header.write(this.scratch, 0, frame.length)
      this.queue.push(this.scratch)
      this.queue.push(frame)
    }
    this.counters.frames++
    this.counters.bytes += wire
    this.schedule()
    return true
  }

  /** Queues bytes that are not a record (fault injection); false if they do not fit. */
  sendRaw(bytes: Uint8Array): boolean {
    if (!this.connected || !this.queue.push(bytes)) return false
    this.schedule()
    return true
  }

  /** The socket took what it had buffered. */
  drained(): void {
    this.socketFull = false
    this.schedule()
  }

  stop(): void {
    this.timer?.cancel()
    this.timer = null
    this.queue.clear()
  }

  private schedule(): void {
    if (this.timer || this.socketFull || this.queue.length === 0) return
    const now = this.options.clock.now()
    if (this.credit === 0) this.lastTick = now // the line was idle: no saved-up credit
    this.timer = this.options.clock.after(this.bytesPerMs > 0 ? TICK_MS : 0, () => this.pump())
  }

  private pump(): void {
    this.timer = null
    let allowed = this.queue.length
    if (this.bytesPerMs > 0) {
      const now = this.options.clock.now()
      this.credit = Math.min(this.credit + (now - this.lastTick) * this.bytesPerMs, MAX_SLICE_MS * this.bytesPerMs)
      this.lastTick = now
      allowed = Math.min(allowed, Math.floor(this.credit))
    }
    if (allowed > 0) {
      const chunk = this.queue.take(allowed)
      if (this.bytesPerMs > 0) this.credit -= chunk.length
      this.socketFull = !this.options.write(chunk)
    }
    if (this.queue.length === 0) this.credit = 0
    this.notifyIfReady()
    this.schedule()
  }

  private notifyIfReady(): void {
    if (!this.someoneWaiting || this.queue.length >= READY_BELOW || this.socketFull) return
    this.someoneWaiting = false
    this.options.onReady()
  }
}
