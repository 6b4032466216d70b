// The bytes /bytes/N serves: deterministic, so a client can check that none
// were lost or misordered (the same pattern as the test fixtures' servers).

export function fillPattern(target: Uint8Array, offset: number): void {
  for (let i = 0; i < target.length; i++) {
    const n = offset + i
    target[i] = (n * 31 + (n >>> 8) * 7 + (n >>> 16)) & 0xff
  }
}
