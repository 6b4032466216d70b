// Reusable chunks for data handed to asynchronous writes. Fresh memory costs a
// page fault per 4 KiB on first touch, which at capture rates costs more than
// the copy itself, so chunks go back to the pool once their write completes.

export class BufferPool {
  private readonly free: Uint8Array[] = []

  constructor(
    /** Smallest chunk handed out. */
    private readonly chunkBytes: number,
    private readonly maxFree = 4
  ) {}

  /** A chunk of at least `bytes` bytes with unspecified contents. */
  take(bytes: number): Uint8Array {
    for (let i = this.free.length - 1; i >= 0; i--) {
      if (this.free[i]!.length >= bytes) return this.free.splice(i, 1)[0]!
    }
    return Buffer.allocUnsafeSlow(Math.max(bytes, this.chunkBytes))
  }

  /** Returns a chunk from take() (or any view starting at its first byte). */
  give(chunk: Uint8Array): void {
    if (this.free.length < this.maxFree && chunk.byteOffset === 0) this.free.push(new Uint8Array(chunk.buffer))
  }
}
