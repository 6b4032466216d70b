// IPv4 addresses as unsigned 32-bit numbers inside the demo device's stack
// (read from packets with decode/bytes.ts's u32).

export function ipv4FromText(text: string): number {
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0)
}

export function writeIpv4(bytes: Uint8Array, offset: number, ip: number): void {
  bytes[offset] = ip >>> 24
  bytes[offset + 1] = (ip >>> 16) & 0xff
  bytes[offset + 2] = (ip >>> 8) & 0xff
  bytes[offset + 3] = ip & 0xff
}

export function ipv4ToText(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join('.')
}
