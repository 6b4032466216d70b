// The bytes of the faults the demo device puts on the wire on request
// (src/shared/demoFaults.ts names them), each aimed at one inspector counter:
//   junk       48 bytes that are no record      → implausible content, bytes skipped
//   badLength  a record header of length 0      → zero length
//   oversize   a 1600-byte record (limit 1500)  → too long
//   burst      UDP to the gateway's discard port until the line is full for ~3 s → utilization 100 %
import { randomBytes } from 'node:crypto'

const JUNK_BYTES = 48
const OVERSIZE_FRAME = 1600

/** Bytes that start like a record of 46 bytes whose source MAC is multicast: no device sends that. */
export function junkBytes(): Uint8Array {
  const junk = randomBytes(JUNK_BYTES)
  junk[0] = 0
  junk[1] = JUNK_BYTES - 2
  junk[2 + 6] |= 1
  return junk
}

export function zeroLengthRecord(): Uint8Array {
  return new Uint8Array(2)
}

/** A record announcing a 1600-byte Ethernet frame from `mac`, zeros after the header. */
export function oversizeRecord(mac: Uint8Array, gatewayMac: Uint8Array): Uint8Array {
  const record = new Uint8Array(2 + OVERSIZE_FRAME)
  record[0] = OVERSIZE_FRAME >> 8
  record[1] = OVERSIZE_FRAME & 0xff
  record.set(gatewayMac, 2)
  record.set(mac, 8)
  record[14] = 0x08 // IPv4 EtherType; the rest stays zero
  return record
}
