// Streams the capture ring to a pcapng file or pipe. It reads the ring right
// after each batch the data path publishes (setImmediate: off the data path,
// while the bytes are still in cache); if the output cannot keep up, records
// are skipped and counted rather than buffered without bound.
import type { Writable } from 'node:stream'

import { FRAMING_ERROR_TEXT, framingErrorKind } from '../counters.js'
import { LENGTH_PREFIX_BYTES } from '../framing/lengthPrefix.js'
import { EPB_INBOUND, EPB_OUTBOUND, pcapngHeader, PcapngPacketEncoder } from './pcapng.js'
import { Direction, type CaptureRecordView, type CaptureRing } from './ring.js'

const MAX_QUEUED_BYTES = 16 * 1024 * 1024
const JUNK_SHOWN = 32

export interface PcapngWriterOptions {
  application: string
  interfaceName: string
  interfaceDescription: string
  /** Called with how many records were skipped because the output fell behind. */
  onOverrun?(records: number): void
  onError?(error: Error): void
  /**
   * The output copies each chunk out (to the kernel) before it calls back, as
   * files, pipes and sockets do, so written chunks may be reused. Not for
   * streams that pass chunks on by reference (PassThrough and other transforms).
   */
  reuseWrittenChunks?: boolean
  /** First record to write (default: the ring's head, i.e. only what comes next). */
  from?: number
}

export class PcapngWriter {
  private cursor: number
  private scheduled: NodeJS.Immediate | undefined
  private unsubscribe: (() => void) | undefined
  private failed = false
  private readonly packets = new PcapngPacketEncoder()
  private readonly visit = (r: CaptureRecordView): void => this.encode(r)
  /** performance.timeOrigin is a getter into the runtime: read it once. */
  private readonly epochMs = performance.timeOrigin

  constructor(
    private readonly ring: CaptureRing,
    private readonly out: Writable,
    private readonly options: PcapngWriterOptions
  ) {
    this.cursor = options.from ?? ring.head
    out.on('error', (error: Error) => this.fail(error))
    // Ended or destroyed by someone else: nothing more can be written.
    out.on('close', () => this.fail(null))
  }

  start(): void {
    this.out.write(pcapngHeader(this.options.application, { name: this.options.interfaceName, description: this.options.interfaceDescription }))
    this.unsubscribe = this.ring.subscribe(() => {
      this.scheduled ??= setImmediate(() => {
        this.scheduled = undefined
        this.drain()
      })
    })
  }

  drain(): void {
    if (this.failed) return
    const head = this.ring.head
    if (this.out.writableLength > MAX_QUEUED_BYTES) {
      this.skip(head - this.cursor)
      this.cursor = head
      return
    }
    const tail = this.ring.tail
    if (tail > this.cursor) this.skip(tail - this.cursor)
    this.cursor = this.ring.read(this.cursor, head, this.visit)
    if (this.packets.length === 0) return
    const chunk = this.packets.take()
    if (this.options.reuseWrittenChunks) this.out.write(chunk, () => this.packets.recycle(chunk))
    else this.out.write(chunk)
  }

  /** Writes what is left and closes the output (the file is complete when this resolves). */
  async close(): Promise<void> {
    this.stopDraining()
    this.drain()
    if (this.failed || this.out.destroyed || this.out.writableFinished) return
    await new Promise<void>((resolve) => {
      this.out.once('error', () => resolve())
      this.out.once('close', () => resolve())
      this.out.end(resolve)
    })
  }

  private fail(error: Error | null): void {
    if (this.failed) return
    this.failed = true
    this.stopDraining()
    if (error) this.options.onError?.(error)
  }

  private stopDraining(): void {
    this.unsubscribe?.()
    clearImmediate(this.scheduled)
    this.scheduled = undefined
  }

  private skip(records: number): void {
    if (records > 0) this.options.onOverrun?.(records)
  }

  private encode(r: CaptureRecordView): void {
    const flags = r.direction === Direction.fromDevice ? EPB_INBOUND : EPB_OUTBOUND
    const microseconds = Math.round((this.epochMs + r.time) * 1000)
    if (r.error === 0) {
      this.packets.add(microseconds, flags, r.data, r.offset + LENGTH_PREFIX_BYTES, r.length - LENGTH_PREFIX_BYTES, r.wireLength - LENGTH_PREFIX_BYTES)
      return
    }
    const kind = framingErrorKind(r.error) ?? 'implausible'
    // A framing error carries no frame: an empty packet whose original length is
    // the bytes lost, so dissectors show it as cut short rather than malformed.
    const shown = Array.from(r.data.subarray(r.offset, r.offset + Math.min(r.length, JUNK_SHOWN)), (b) => b.toString(16).padStart(2, '0')).join(' ')
    const more = r.length > JUNK_SHOWN || r.wireLength > r.length ? ' …' : ''
    this.packets.add(microseconds, flags, r.data, 0, 0, r.wireLength,
      `UART framing error: ${FRAMING_ERROR_TEXT[kind]}; ${r.wireLength} bytes skipped: ${shown}${more}`)
  }
}
