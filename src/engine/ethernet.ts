// Ethernet facts the bridge acts on; the display decoders live in decode/.
import { ETHERNET_HEADER_LEN, ETHERTYPE_ARP } from './decode/ethernet.js'

export { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './decode/ethernet.js'
export const ETHERNET_HEADER = ETHERNET_HEADER_LEN
/** The smallest IPv4 header, the fixed IPv6 header and the smallest TCP header: what the services that read past Ethernet check lengths against. */
export const IPV4_HEADER = 20
export const IPV6_HEADER = 40
export const TCP_HEADER = 20
export const ARP_REQUEST = 1
export const ARP_REPLY = 2
export const ARP_FRAME = ETHERNET_HEADER + 28

/** Offsets inside an ARP frame (Ethernet/IPv4). */
const ARP_OP = 20
const ARP_SENDER_MAC = 22
const ARP_SENDER_IP = 28
const ARP_TARGET_MAC = 32
const ARP_TARGET_IP = 38

export function etherTypeAt(frame: Uint8Array, start: number): number {
  return (frame[start + 12]! << 8) | frame[start + 13]!
}

/** True when the ARP frame at `start` asks for an address other than the asker's own (not a gratuitous ARP). */
export function isArpRequestForOther(frame: Uint8Array, start: number): boolean {
  if (frame[start + ARP_OP] !== 0 || frame[start + ARP_OP + 1] !== ARP_REQUEST) return false
  for (let i = 0; i < 4; i++) if (frame[start + ARP_SENDER_IP + i] !== frame[start + ARP_TARGET_IP + i]) return true
  return false
}

export function arpTargetIpEquals(frame: Uint8Array, start: number, ip: Uint8Array): boolean {
  for (let i = 0; i < 4; i++) if (frame[start + ARP_TARGET_IP + i] !== ip[i]) return false
  return true
}

/**
 * Writes into `out` at `at` the reply to the ARP request at `start`: "target IP is at gatewayMac",
 * addressed to the asker. Returns the frame length.
 */
export function writeProxyArpReply(request: Uint8Array, start: number, gatewayMac: Uint8Array, out: Uint8Array, at: number): number {
  for (let i = 0; i < 6; i++) {
    const askerMac = request[start + ARP_SENDER_MAC + i]!
    out[at + i] = askerMac
    out[at + 6 + i] = gatewayMac[i]!
    out[at + ARP_SENDER_MAC + i] = gatewayMac[i]!
    out[at + ARP_TARGET_MAC + i] = askerMac
  }
  out[at + 12] = ETHERTYPE_ARP >> 8
  out[at + 13] = ETHERTYPE_ARP & 0xff
  out.set([0, 1, 0x08, 0x00, 6, 4, 0, ARP_REPLY], at + ETHERNET_HEADER)
  for (let i = 0; i < 4; i++) {
    out[at + ARP_SENDER_IP + i] = request[start + ARP_TARGET_IP + i]!
    out[at + ARP_TARGET_IP + i] = request[start + ARP_SENDER_IP + i]!
  }
  return ARP_FRAME
}

const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]

/**
 * Writes into `out` at `at` a broadcast ARP request "who has targetIp? tell senderIp at
 * senderMac". Returns the frame length.
 */
export function writeArpRequest(senderMac: Uint8Array, senderIp: Uint8Array, targetIp: Uint8Array, out: Uint8Array, at: number): number {
  out.set(BROADCAST, at)
  out.set(senderMac, at + 6)
  out[at + 12] = ETHERTYPE_ARP >> 8
  out[at + 13] = ETHERTYPE_ARP & 0xff
  out.set([0, 1, 0x08, 0x00, 6, 4, 0, ARP_REQUEST], at + ETHERNET_HEADER)
  out.set(senderMac, at + ARP_SENDER_MAC)
  out.set(senderIp, at + ARP_SENDER_IP)
  out.fill(0, at + ARP_TARGET_MAC, at + ARP_TARGET_MAC + 6)
  out.set(targetIp, at + ARP_TARGET_IP)
  return ARP_FRAME
}
