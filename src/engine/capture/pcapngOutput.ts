// Where the pcapng writer's bytes go. A regular file or a character device
// (/dev/null) is written synchronously, straight from the capture ring: one
// kernel copy per byte and no hand-off to the thread pool. Anything else (a
// pipe to Wireshark, a socket, a stream) gets a copy written asynchronously,
// so a slow reader never blocks the data path: past a backlog the writer
// skips records instead.
import { closeSync, writeSync } from 'node:fs'
import type { Writable } from 'node:stream'

import { BufferPool } from '../bufferPool.js'

const CHUNK_BYTES = 64 * 1024
const MAX_QUEUED_BYTES = 16 * 1024 * 1024

export interface PcapngOutput {
  /** Writes data[start, end) after everything before it, or keeps a copy for flush(). */
  write(data: Uint8Array, start: number, end: number): void
  /** Hands on what write() kept since the last flush. */
  flush(): void
  /** Too far behind to take more now: the writer skips records instead. */
  readonly behind: boolean
  /** Resolves when the output has everything written and is closed. */
  close(): Promise<void>
}

type OnFailed = (error: Error | null) => void

/** A file descriptor written with writeSync: nothing is queued, so it is never behind. */
export class FileOutput implements PcapngOutput {
  readonly behind = false
  private failed = false

  constructor(
    private readonly fd: number,
    private readonly onFailed: OnFailed
  ) {}

  write(data: Uint8Array, start: number, end: number): void {
    if (this.failed) return
    try {
      for (let at = start; at < end; ) at += writeSync(this.fd, data, at, end - at)
    } catch (error) {
      this.failed = true
      this.onFailed(error as Error)
    }
  }

  flush(): void {}

  async close(): Promise<void> {
    try {
      closeSync(this.fd)
    } catch {
      // Already closed: nothing more to write either way.
    }
  }
}

export class StreamOutput implements PcapngOutput {
  private readonly pool = new BufferPool(CHUNK_BYTES)
  private chunk: Uint8Array
  private length = 0
  private failed = false

  constructor(
    private readonly out: Writable,
    /** See PcapngWriterOptions.reuseWrittenChunks. */
    private readonly reuseWrittenChunks: boolean,
    onFailed: OnFailed
  ) {
    this.chunk = this.pool.take(CHUNK_BYTES)
    const fail = (error: Error | null): void => {
      this.failed = true
      onFailed(error)
    }
    out.on('error', fail)
    // Ended or destroyed by someone else: nothing more can be written.
    out.on('close', () => fail(null))
  }

  get behind(): boolean {
    return this.out.writableLength > MAX_QUEUED_BYTES
  }

  write(data: Uint8Array, start: number, end: number): void {
    const n = end - start
    if (this.length + n > this.chunk.length) {
      const grown = this.pool.take(Math.max(2 * this.chunk.length, this.length + n))
      grown.set(this.chunk.subarray(0, this.length))
      this.pool.give(this.chunk)
      this.chunk = grown
    }
    this.chunk.set(data.subarray(start, end), this.length)
    this.length += n
  }

  flush(): void {
    if (this.length === 0 || this.failed) return
    const chunk = this.chunk
    const bytes = chunk.subarray(0, this.length)
    if (this.reuseWrittenChunks) this.out.write(bytes, () => this.pool.give(chunk))
    else this.out.write(bytes)
    this.chunk = this.pool.take(CHUNK_BYTES)
    this.length = 0
  }

  async close(): Promise<void> {
    this.flush()
    const out = this.out
    if (this.failed || out.destroyed || out.writableFinished) return
    await new Promise<void>((resolve) => {
      out.once('error', () => resolve())
      out.once('close', () => resolve())
      out.end(resolve)
    })
  }
}
