// A fixed-size ring of bytes, never growing: the UART's transmit buffer, and a
// TCP connection's receive buffer and unacknowledged send buffer. Bytes are
// copied in, and out only where a caller needs them in one piece.

export class ByteRing {
  private readonly bytes: Uint8Array
  private head = 0 // the oldest byte
  private size = 0

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity)
  }

  get length(): number {
    return this.size
  }

  get free(): number {
    return this.bytes.length - this.size
  }

  /** Appends as much of `data` as fits; returns how many bytes that was. */
  append(data: Uint8Array): number {
    const count = Math.min(data.length, this.free)
    const capacity = this.bytes.length
    const tail = (this.head + this.size) % capacity
    const beforeWrap = Math.min(count, capacity - tail)
    this.bytes.set(data.subarray(0, beforeWrap), tail)
    this.bytes.set(data.subarray(beforeWrap, count), 0)
    this.size += count
    return count
  }

  /** Appends all of `data`, or nothing if it does not fit. */
  push(data: Uint8Array): boolean {
    if (data.length > this.free) return false
    this.append(data)
    return true
  }

  /** `length` bytes from `offset` past the oldest: a view when they lie in one piece, else a copy. Valid until the next append. */
  slice(offset: number, length: number): Uint8Array {
    const capacity = this.bytes.length
    const start = (this.head + offset) % capacity
    if (start + length <= capacity) return this.bytes.subarray(start, start + length)
    const out = new Uint8Array(length)
    const beforeWrap = capacity - start
    out.set(this.bytes.subarray(start))
    out.set(this.bytes.subarray(0, length - beforeWrap), beforeWrap)
    return out
  }

  /** Frees the oldest `count` bytes. */
  discard(count: number): void {
    this.head = (this.head + count) % this.bytes.length
    this.size -= count
  }

  /** Removes up to `max` of the oldest bytes and returns them in a buffer of their own (a socket may keep it). */
  take(max: number): Uint8Array {
    const n = Math.min(max, this.size)
    const out = Uint8Array.from(this.slice(0, n))
    this.discard(n)
    return out
  }

  clear(): void {
    this.head = 0
    this.size = 0
  }
}
