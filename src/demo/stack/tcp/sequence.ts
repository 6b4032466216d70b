// TCP sequence numbers (RFC 9293 §3.4): 32-bit values compared modulo 2^32,
// so "a before b" holds across the wrap as long as they are < 2^31 apart.

/** `seq` advanced by `n`, wrapped to 32 bits. */
export function seqAdd(seq: number, n: number): number {
  return (seq + n) >>> 0
}

/** How far `a` is after `b` (negative when before). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0
}

export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) < 0
}

export function seqLeq(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0
}

export function seqGt(a: number, b: number): boolean {
  return seqDiff(a, b) > 0
}

export function seqGeq(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0
}
