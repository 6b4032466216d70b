// The bytes of the faults the demo device puts on the wire on request
// (src/shared/demoFaults.ts names them), each aimed at one inspector counter.
// With the firmware's framing (the default):
//   junk       48 bytes that are no record      → implausible content, bytes skipped
//   badLength  a record header of length 0      → zero length
//   oversize   a 1600-byte record (limit 1500)  → too long
//   burst      UDP to the gateway's discard port until the line is full for ~3 s → utilization 100 %
// With QEMU's 4-byte length the same, in its header. With SLIP: junk is a
// 46-byte slot that is no frame (48 bytes with its ENDs), badLength an ESC
// followed by a byte no escape allows (SLIP has no length), oversize a
// 1600-byte frame, escaped.
import { randomBytes } from 'node:crypto'

import { esp32Framing } from '../engine/framing/esp32.js'
import type { Framing } from '../engine/framing/framing.js'
import { SLIP_END, SLIP_ESC } from '../engine/framing/slip.js'

const JUNK_BYTES = 48
const OVERSIZE_FRAME = 1600

export type FaultFraming = Pick<Framing, 'header' | 'encoder'>

/**
 * Bytes that start like a record of 46 bytes (with SLIP: are one) whose source MAC is
 * multicast, and whose first byte is no IP version: no device sends that.
 */
export function junkBytes(framing: FaultFraming = esp32Framing): Uint8Array {
  const encoder = framing.encoder
  if (!encoder) {
    const junk = randomBytes(JUNK_BYTES)
    const at = framing.header.bytes
    framing.header.write(junk, 0, JUNK_BYTES - at)
    junk[at + 6] |= 1
    return junk
  }
  const slot = randomBytes(JUNK_BYTES - 2).map((byte) => (byte === SLIP_END || byte === SLIP_ESC ? 0 : byte))
  slot[0] = 0
  slot[6] |= 1
  return encoded(encoder, slot)
}

/** A record header of length 0; with SLIP (no length), a broken escape. */
export function zeroLengthRecord(framing: FaultFraming = esp32Framing): Uint8Array {
  return framing.encoder ? Uint8Array.of(SLIP_END, SLIP_ESC, 0, SLIP_END) : new Uint8Array(framing.header.bytes)
}

/** A record of a 1600-byte Ethernet frame from `mac`, zeros after the header. */
export function oversizeRecord(mac: Uint8Array, gatewayMac: Uint8Array, framing: FaultFraming = esp32Framing): Uint8Array {
  const frame = new Uint8Array(OVERSIZE_FRAME)
  frame.set(gatewayMac, 0)
  frame.set(mac, 6)
  frame[12] = 0x08 // IPv4 EtherType; the rest stays zero
  if (framing.encoder) return encoded(framing.encoder, frame)
  const at = framing.header.bytes
  const record = new Uint8Array(at + OVERSIZE_FRAME)
  framing.header.write(record, 0, OVERSIZE_FRAME)
  record.set(frame, at)
  return record
}

function encoded(encoder: NonNullable<Framing['encoder']>, frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(encoder.maxBytes(frame.length))
  return out.subarray(0, encoder.encode(frame, 0, frame.length, out, 0))
}
