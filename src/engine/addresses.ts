// Strict parsers for the addresses and names users type. Each throws a
// UserError whose message says what is wrong and what is expected.
import { UserError } from './errors.js'

export type MacAddress = Uint8Array

export interface Ipv4Cidr {
  address: string
  prefixLength: number
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/
// What the kernel accepts as an interface name, minus characters that are
// legal but invite trouble in scripts and polkit rules.
const INTERFACE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/

export function parseIpv4(text: string, what = 'address'): string {
  if (!IPV4.test(text)) throw new UserError(`${what} "${text}" is not an IPv4 address; write it like 192.168.100.2.`)
  return text
}

export function ipv4ToBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number))
}

export function parseCidr(text: string, what = '--host-ip'): Ipv4Cidr {
  const [address, prefix, extra] = text.split('/')
  const prefixLength = Number(prefix)
  if (extra !== undefined || address === undefined || !IPV4.test(address) || !/^\d{1,2}$/.test(prefix ?? '') || prefixLength < 1 || prefixLength > 30) {
    throw new UserError(`${what} "${text}" is not an IPv4 address with a prefix length from 1 to 30; write it like 192.168.100.1/24.`)
  }
  return { address, prefixLength }
}

export function parseMac(text: string, what = 'MAC address'): MacAddress {
  if (!MAC.test(text)) throw new UserError(`${what} "${text}" is not a MAC address; write it like 02:00:00:00:00:01.`)
  const bytes = Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)))
  if (bytes[0]! & 1) throw new UserError(`${what} ${text} is a multicast address; use a unicast one such as 02:00:00:00:00:01.`)
  return bytes
}

export function formatMacBytes(mac: Uint8Array, offset = 0): string {
  let text = ''
  for (let i = 0; i < 6; i++) text += (i ? ':' : '') + mac[offset + i]!.toString(16).padStart(2, '0')
  return text
}

export function parseInterfaceName(text: string): string {
  if (!INTERFACE_NAME.test(text)) {
    throw new UserError(`Interface name "${text}" is not usable; use 1 to 15 letters, digits, "_", "." or "-", such as tun0.`)
  }
  return text
}

export function parseIntegerInRange(text: string | number, min: number, max: number, what: string): number {
  const value = typeof text === 'number' ? text : /^[-+]?\d+$/.test(text) ? Number(text) : NaN
  const give = `give a whole number from ${min} to ${max}.`
  if (Number.isNaN(value)) {
    const number = typeof text === 'string' && /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i.test(text)
    throw new UserError(`${what} "${text}" is not ${number ? 'a whole number' : 'a number'}; ${give}`)
  }
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new UserError(`${what} "${text}" is out of range; ${give}`)
  return value
}

export function sameSubnet(a: string, b: string, prefixLength: number): boolean {
  const x = ipv4ToBytes(a), y = ipv4ToBytes(b)
  for (let bit = 0; bit < prefixLength; bit++) {
    const i = bit >> 3, m = 0x80 >> (bit & 7)
    if ((x[i]! & m) !== (y[i]! & m)) return false
  }
  return true
}

/** The netmask of a prefix length (0–32) as an unsigned 32-bit number: 24 is 0xffffff00. */
export function subnetMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0
}

/** The network `ip` is in, written ADDR/PREFIX (192.168.100.1 and 24: 192.168.100.0/24). */
export function networkOf(ip: string, prefixLength: number): string {
  const bytes = ipv4ToBytes(ip)
  for (let bit = prefixLength; bit < 32; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7))
  return `${bytes.join('.')}/${prefixLength}`
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/

/**
 * The 64-bit network part of an IPv6 /64 prefix written like fd00:1::/64 (the /64 may be
 * left out), as 8 bytes. Embedded IPv4 forms and other prefix lengths are refused.
 */
export function parseIpv6Prefix64(text: string, what: string): Uint8Array {
  const refuse = (): never => {
    throw new UserError(`${what} "${text}" is not an IPv6 /64 prefix; write it like fd00:1::/64.`)
  }
  const [address = '', length, extra] = text.split('/')
  if (extra !== undefined || (length !== undefined && length !== '64')) refuse()
  const halves = address.split('::')
  if (halves.length > 2) refuse()
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')))
  const given = groups.reduce((n, g) => n + g.length, 0)
  if (given > 8 || (halves.length === 1 && given !== 8) || (halves.length === 2 && given > 7)) refuse()
  const all = halves.length === 1 ? groups[0]! : [...groups[0]!, ...Array<string>(8 - given).fill('0'), ...groups[1]!]
  if (!all.every((group) => HEX_GROUP.test(group))) refuse()
  const bytes = new Uint8Array(8)
  for (let i = 0; i < 4; i++) {
    const value = parseInt(all[i]!, 16)
    bytes[2 * i] = value >> 8
    bytes[2 * i + 1] = value & 0xff
  }
  return bytes
}
