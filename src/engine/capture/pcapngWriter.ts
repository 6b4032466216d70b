// Streams the capture ring to a pcapng file or pipe. It reads the ring right
// after each batch the data path publishes (setImmediate: off the data path,
// while the bytes are still in cache). Frame records are already packet
// blocks in the ring, so they go out as stretches of it; only framing errors
// are encoded here. If the output cannot keep up, records are skipped and
// counted rather than buffered without bound.
//
// The file describes every interface of the ring's table (a device port as it
// was set; records name them by id): all of them at the start, any the table
// gains later before the records that name them, and, should the table start
// afresh (its ids reused: no record the file still lacks names the old
// table), a new section with the new table.
import type { Writable } from 'node:stream'

import { FRAMING_ERROR_TEXT, framingErrorKind, TextRecord } from '../counters.js'
import { commentedEmptyPacket, epochMicroseconds, pcapngHeader, pcapngInterfaces, type PcapngInterface } from './pcapng.js'
import { FileOutput, StreamOutput, type PcapngOutput } from './pcapngOutput.js'
import { epbDirection, type CaptureInterface, type CaptureRecordView, type CaptureRing } from './ring.js'

const JUNK_SHOWN = 32

export interface PcapngWriterOptions {
  application: string
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

/** A regular file or character device (such as /dev/null) open for writing: written synchronously, closed by close(). */
export interface SyncFile {
  fd: number
}

export class PcapngWriter {
  private cursor: number
  private scheduled: NodeJS.Immediate | undefined
  private unsubscribe: (() => void) | undefined
  private failed = false
  /** The ring's interfaceGeneration the current section describes, and how many of its interfaces it has described. */
  private generation = -1
  private described = 0
  private readonly output: PcapngOutput
  private readonly writeBlocks = (data: Uint8Array, start: number, end: number): void => this.output.write(data, start, end)
  private readonly writeJunk = (r: CaptureRecordView): void => {
    const block = junkPacket(r)
    this.output.write(block, 0, block.length)
  }

  constructor(
    private readonly ring: CaptureRing,
    /** A stream gets copies, written asynchronously; a SyncFile is written straight from the ring. */
    out: Writable | SyncFile,
    private readonly options: PcapngWriterOptions
  ) {
    this.cursor = options.from ?? ring.head
    const fail = (error: Error | null): void => this.fail(error)
    this.output = 'write' in out ? new StreamOutput(out, options.reuseWrittenChunks ?? false, fail) : new FileOutput(out.fd, fail)
  }

  /** Writes the file's header, one interface per interface of the ring's table (in id order), and follows the ring. */
  start(): void {
    this.describeInterfaces()
    this.output.flush()
    if (this.failed) return
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
    if (this.output.behind) {
      this.skip(head - this.cursor)
      this.cursor = head
      return
    }
    const tail = this.ring.tail
    if (tail > this.cursor) this.skip(tail - this.cursor)
    if (Math.max(tail, this.cursor) < head) this.describeInterfaces()
    this.cursor = this.ring.readBlocks(this.cursor, head, this.writeBlocks, this.writeJunk)
    this.output.flush()
  }

  /** Writes what is left and closes the output (the file is complete when this resolves). */
  async close(): Promise<void> {
    this.stopDraining()
    this.drain()
    await this.output.close()
  }

  /** Describes the interfaces of the ring's table the file lacks, in a new section if the table started afresh. */
  private describeInterfaces(): void {
    const table = this.ring.interfaces
    if (this.ring.interfaceGeneration !== this.generation) {
      const header = pcapngHeader(this.options.application, table.map(pcapngInterface))
      this.output.write(header, 0, header.length)
      this.generation = this.ring.interfaceGeneration
    } else if (table.length > this.described) {
      const idbs = pcapngInterfaces(table.slice(this.described).map(pcapngInterface))
      this.output.write(idbs, 0, idbs.length)
    }
    this.described = table.length
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
}

const pcapngInterface = (iface: CaptureInterface): PcapngInterface => ({ name: iface.name, description: iface.description, payload: iface.framing.payload })

/**
 * A framing error carries no frame: an empty packet whose original length is
 * the bytes lost, so dissectors show it as cut short rather than malformed,
 * with the first junk bytes in its comment.
 */
function junkPacket(r: CaptureRecordView): Uint8Array {
  if (r.error === TextRecord.control || r.error === TextRecord.debug) return textPacket(r)
  const kind = framingErrorKind(r.error) ?? 'implausible'
  const shown = Array.from(r.data.subarray(r.offset, r.offset + Math.min(r.length, JUNK_SHOWN)), (b) => b.toString(16).padStart(2, '0')).join(' ')
  const more = r.length > JUNK_SHOWN || r.wireLength > r.length ? ' …' : ''
  return commentedEmptyPacket(epochMicroseconds(r.time), epbDirection(r.direction), r.wireLength,
    `UART framing error: ${FRAMING_ERROR_TEXT[kind]}; ${r.wireLength} bytes skipped: ${shown}${more}`, r.interface)
}

/** Text the framing carried (tunslip6's): an empty packet (original length: its wire bytes) with the text as its comment. */
function textPacket(r: CaptureRecordView): Uint8Array {
  const what = r.error === TextRecord.control ? 'SLIP control message' : 'SLIP debug text'
  const text = new TextDecoder().decode(r.data.subarray(r.offset, r.offset + r.length))
  return commentedEmptyPacket(epochMicroseconds(r.time), epbDirection(r.direction), r.wireLength, `${what}: ${JSON.stringify(text)}`, r.interface)
}
