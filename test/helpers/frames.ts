// Builders for the frames tests feed the bridge: real headers with correct
// checksums, as the firmware's lwIP or the Linux kernel would send them.

export const DEVICE_MAC = Uint8Array.of(2, 0, 0, 0, 0, 2)
export const GATEWAY_MAC = Uint8Array.of(2, 0, 0, 0, 0, 1)
export const DEVICE_IP = Uint8Array.of(192, 168, 100, 2)
export const HOST_IP = Uint8Array.of(192, 168, 100, 1)

export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = initial
  for (let i = start; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!
  if ((end - start) & 1) sum += bytes[end - 1]! << 8
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  return ~sum & 0xffff
}

export function ethernet(dst: Uint8Array, src: Uint8Array, etherType: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(14 + payload.length)
  frame.set(dst, 0)
  frame.set(src, 6)
  frame[12] = etherType >> 8
  frame[13] = etherType & 0xff
  frame.set(payload, 14)
  return frame
}

export function ipv4(src: Uint8Array, dst: Uint8Array, protocol: number, payload: Uint8Array, id = 1): Uint8Array {
  const p = new Uint8Array(20 + payload.length)
  p[0] = 0x45
  p[2] = p.length >> 8
  p[3] = p.length & 0xff
  p[4] = id >> 8
  p[5] = id & 0xff
  p[6] = 0x40 // DF
  p[8] = 64
  p[9] = protocol
  p.set(src, 12)
  p.set(dst, 16)
  const sum = internetChecksum(p, 0, 20)
  p[10] = sum >> 8
  p[11] = sum & 0xff
  p.set(payload, 20)
  return p
}

export function udp(srcPort: number, dstPort: number, data: Uint8Array): Uint8Array {
  const d = new Uint8Array(8 + data.length)
  d[0] = srcPort >> 8
  d[1] = srcPort & 0xff
  d[2] = dstPort >> 8
  d[3] = dstPort & 0xff
  d[4] = d.length >> 8
  d[5] = d.length & 0xff
  d.set(data, 8)
  return d // checksum 0: optional over IPv4
}

export function icmpEcho(type: 8 | 0, id: number, seq: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + data.length)
  m[0] = type
  m[4] = id >> 8
  m[5] = id & 0xff
  m[6] = seq >> 8
  m[7] = seq & 0xff
  m.set(data, 8)
  const sum = internetChecksum(m)
  m[2] = sum >> 8
  m[3] = sum & 0xff
  return m
}

export function arp(op: 1 | 2, senderMac: Uint8Array, senderIp: Uint8Array, targetMac: Uint8Array, targetIp: Uint8Array): Uint8Array {
  const a = new Uint8Array(28)
  a.set([0, 1, 0x08, 0x00, 6, 4, 0, op])
  a.set(senderMac, 8)
  a.set(senderIp, 14)
  a.set(targetMac, 18)
  a.set(targetIp, 24)
  return a
}

/** A UDP datagram from the device to the host, as an Ethernet frame. */
export function deviceUdpFrame(data: Uint8Array, id = 1): Uint8Array {
  return ethernet(GATEWAY_MAC, DEVICE_MAC, 0x0800, ipv4(DEVICE_IP, HOST_IP, 17, udp(7, 40000, data), id))
}

export function deviceArpRequest(targetIp: Uint8Array): Uint8Array {
  return ethernet(Uint8Array.of(255, 255, 255, 255, 255, 255), DEVICE_MAC, 0x0806, arp(1, DEVICE_MAC, DEVICE_IP, new Uint8Array(6), targetIp))
}

export function deviceIpv6Frame(payloadLength: number): Uint8Array {
  const p = new Uint8Array(40 + payloadLength)
  p[0] = 0x60
  p[4] = payloadLength >> 8
  p[5] = payloadLength & 0xff
  p[6] = 59 // no next header
  p[7] = 64
  p[8] = 0xfe
  p[9] = 0x80
  p[39] = 2
  return ethernet(GATEWAY_MAC, DEVICE_MAC, 0x86dd, p)
}

/** The firmware's wire record: 2-byte big-endian length, then the frame. */
export function record(frame: Uint8Array): Uint8Array {
  const r = new Uint8Array(2 + frame.length)
  r[0] = frame.length >> 8
  r[1] = frame.length & 0xff
  r.set(frame, 2)
  return r
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
