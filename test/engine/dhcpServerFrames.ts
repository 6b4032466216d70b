// DHCP client messages built for the server's tests: a valid Ethernet/IPv4/UDP frame around a
// BOOTREQUEST whose fields and options the test chooses (UDP checksum 0, legal for IPv4).
import { fold, onesSum } from '../../src/engine/decode/bytes'

export const ip4 = (text: string): Uint8Array => Uint8Array.from(text.split('.').map(Number))
export const mac = (text: string): Uint8Array => Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)))

export const HOST_IP = ip4('192.168.100.1')
export const DEVICE_IP = ip4('192.168.100.2')
/** The server's veth MAC in the captures in test/fixtures/dhcp: renewals and releases are unicast to it. */
export const GATEWAY_MAC = mac('6a:8a:9e:9d:25:dd')

export interface RequestFields {
  /** Message type option 53 (put first); -1 for none. */
  type: number
  mac?: string
  ciaddr?: string
  giaddr?: string
  flags?: number
  /** Raw option bytes after the message type. */
  options?: number[]
  /** Append END (default true). */
  end?: boolean
  ethDst?: Uint8Array
  ipSrc?: string
  ipDst?: string
}

export function fixIpChecksum(f: Uint8Array): Uint8Array {
  f[24] = 0
  f[25] = 0
  const sum = ~fold(onesSum(f, 14, 34)) & 0xffff
  f[24] = sum >> 8
  f[25] = sum & 0xff
  return f
}

/** Sets IPv4 total length and UDP length from the frame's size, then the IPv4 header checksum. */
export function refreshLengths(f: Uint8Array): Uint8Array {
  const ipLength = Math.min(0xffff, f.length - 14)
  f[16] = ipLength >> 8
  f[17] = ipLength & 0xff
  f[38] = (ipLength - 20) >> 8
  f[39] = (ipLength - 20) & 0xff
  return fixIpChecksum(f)
}

export function buildRequest(r: RequestFields): Uint8Array {
  const options = [...(r.type >= 0 ? [53, 1, r.type] : []), ...(r.options ?? []), ...(r.end === false ? [] : [255])]
  const f = new Uint8Array(42 + 240 + options.length)
  f.set(r.ethDst ?? mac('ff:ff:ff:ff:ff:ff'), 0)
  f.set(mac(r.mac ?? '02:00:00:00:00:02'), 6)
  f.set([0x08, 0x00, 0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17], 12)
  f.set(ip4(r.ipSrc ?? '0.0.0.0'), 26)
  f.set(ip4(r.ipDst ?? '255.255.255.255'), 30)
  f.set([0, 68, 0, 67], 34)
  const d = 42
  f.set([1, 1, 6, 0, 0xde, 0xad, 0xbe, 0xef, 0, 0, (r.flags ?? 0) >> 8, (r.flags ?? 0) & 0xff], d)
  f.set(ip4(r.ciaddr ?? '0.0.0.0'), d + 12)
  f.set(ip4(r.giaddr ?? '0.0.0.0'), d + 24)
  f.set(mac(r.mac ?? '02:00:00:00:00:02'), d + 28)
  f.set([0x63, 0x82, 0x53, 0x63], d + 236)
  f.set(options, d + 240)
  return refreshLengths(f)
}

/** The options of the DHCP message at `d` as [code, value hex], pads skipped, up to END (not listed). */
export function optionsOf(frame: Uint8Array, d: number): [number, string][] {
  const list: [number, string][] = []
  for (let at = d + 240; at < frame.length && frame[at] !== 255; ) {
    if (frame[at] === 0) {
      at++
      continue
    }
    const n = frame[at + 1]!
    list.push([frame[at]!, Buffer.from(frame.subarray(at + 2, at + 2 + n)).toString('hex')])
    at += 2 + n
  }
  return list
}
