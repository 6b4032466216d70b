// One frame, layer by layer: decodeFrame parses without building a tree; the summary and the tree read its layers.
import type { FramePayload } from '../framing/framing'
import { arpInfo, checkArp, dissectArp, parseArp, type ArpPacket } from './arp'
import { checkDhcp, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, dhcpInfo, dhcpProtocol, dissectDhcp, parseDhcp, type DhcpMessage } from './dhcp'
import { checkDns, dissectDns, DNS_PORT, dnsInfo, parseDns, type DnsMessage } from './dns'
import {
  checkEthernet, dissectEthernet, ETHERNET_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6,
  etherTypeName, parseEthernet, type EthernetHeader
} from './ethernet'
import { dissectHttp, HTTP_PORT, parseHttp, type HttpMessage } from './http'
import { checkIcmp, dissectIcmp, icmpInfo, parseIcmp, type IcmpMessage } from './icmpv4'
import { checkIcmpv6, dissectIcmpv6, icmpv6Info, parseIcmpv6, type Icmpv6Message } from './icmpv6'
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, type IpHeader } from './ip'
import { checkIpv4, dissectIpv4, ipv4Info, parseIpv4 } from './ipv4'
import { checkIpv6, dissectIpv6, ipv6Info, laterFragment, parseIpv6 } from './ipv6'
import { checkTcp, dissectTcp, parseTcp, tcpInfo, type TcpHeader } from './tcp'
import { dataLayer, malformedLayer, type FieldNode } from './tree'
import { checkUdp, dissectUdp, parseUdp, udpInfo, type UdpHeader } from './udp'

export type Layer =
  | { kind: 'ethernet'; header: EthernetHeader }
  | { kind: 'arp'; packet: ArpPacket }
  | { kind: 'ip'; header: IpHeader }
  | { kind: 'icmp'; message: IcmpMessage; ip: IpHeader }
  | { kind: 'icmpv6'; message: Icmpv6Message; ip: IpHeader }
  | { kind: 'udp'; header: UdpHeader; ip: IpHeader }
  | { kind: 'tcp'; header: TcpHeader; ip: IpHeader }
  | { kind: 'dhcp'; message: DhcpMessage }
  | { kind: 'dns'; message: DnsMessage }
  | { kind: 'http'; message: HttpMessage }
  | { kind: 'malformed'; protocol: string; offset: number; length: number; problem: string }
  | { kind: 'data'; offset: number; length: number }

export interface DecodedFrame {
  layers: Layer[]
  networkEnd: number // where the network-layer packet ends; anything after it is Ethernet padding/trailer
}

type Check = (bytes: Uint8Array, offset: number, length: number) => string | undefined

function malformed(protocol: string, check: Check, frame: Uint8Array, offset: number, length: number): Layer {
  const problem = check(frame, offset, length) ?? 'Malformed'
  return { kind: 'malformed', protocol, offset, length: Math.max(0, Math.min(length, frame.length - offset)), problem }
}

function pushData(layers: Layer[], offset: number, length: number): void {
  if (length > 0) layers.push({ kind: 'data', offset, length })
}

function decodeUdpPayload(frame: Uint8Array, udp: UdpHeader, layers: Layer[]): void {
  const { payloadOffset: at, payloadLength: len } = udp
  const ports = (p: number): boolean => udp.srcPort === p || udp.dstPort === p
  if (len > 0 && (ports(DHCP_SERVER_PORT) || ports(DHCP_CLIENT_PORT))) {
    const message = parseDhcp(frame, at, len)
    layers.push(message ? { kind: 'dhcp', message } : malformed('DHCP', checkDhcp, frame, at, len))
  } else if (len > 0 && ports(DNS_PORT)) {
    const message = parseDns(frame, at, len)
    layers.push(message ? { kind: 'dns', message } : malformed('DNS', checkDns, frame, at, len))
  } else {
    pushData(layers, at, len)
  }
}

function decodeTcpPayload(frame: Uint8Array, tcp: TcpHeader, layers: Layer[]): void {
  const { payloadOffset: at, payloadLength: len } = tcp
  const message = tcp.srcPort === HTTP_PORT || tcp.dstPort === HTTP_PORT ? parseHttp(frame, at, len) : undefined
  if (message) layers.push({ kind: 'http', message })
  else pushData(layers, at, len)
}

function decodeIpPayload(frame: Uint8Array, ip: IpHeader, layers: Layer[]): void {
  const { upperOffset: at, upperLength: len } = ip
  switch (ip.protocol) {
    case IPPROTO_ICMP: {
      const message = parseIcmp(frame, at, len)
      layers.push(message ? { kind: 'icmp', message, ip } : malformed('ICMP', checkIcmp, frame, at, len))
      return
    }
    case IPPROTO_ICMPV6: {
      const message = parseIcmpv6(frame, at, len)
      layers.push(message ? { kind: 'icmpv6', message, ip } : malformed('ICMPv6', checkIcmpv6, frame, at, len))
      return
    }
    case IPPROTO_UDP: {
      const header = parseUdp(frame, at, len)
      if (!header) return void layers.push(malformed('UDP', checkUdp, frame, at, len))
      layers.push({ kind: 'udp', header, ip })
      return decodeUdpPayload(frame, header, layers)
    }
    case IPPROTO_TCP: {
      const header = parseTcp(frame, at, len)
      if (!header) return void layers.push(malformed('TCP', checkTcp, frame, at, len))
      layers.push({ kind: 'tcp', header, ip })
      return decodeTcpPayload(frame, header, layers)
    }
    default:
      pushData(layers, at, len)
  }
}

/** Decodes the IP packet at `offset` and returns where it ends. */
function decodeIp(frame: Uint8Array, etherType: number, offset: number, layers: Layer[]): number {
  const length = frame.length - offset
  const v4 = etherType === ETHERTYPE_IPV4
  const ip = v4 ? parseIpv4(frame, offset, length) : parseIpv6(frame, offset, length)
  if (!ip) {
    layers.push(v4 ? malformed('IPv4', checkIpv4, frame, offset, length) : malformed('IPv6', checkIpv6, frame, offset, length))
    return frame.length
  }
  layers.push({ kind: 'ip', header: ip })
  const end = ip.upperOffset + ip.upperLength
  if (ip.version === 6 && ip.extensionProblem) {
    const problem = ip.extensionProblem
    layers.push({ kind: 'malformed', protocol: 'IPv6', offset: ip.upperOffset, length: ip.upperLength, problem })
  } else if (ip.version === 4 ? ip.fragmentOffset > 0 : laterFragment(ip)) {
    pushData(layers, ip.upperOffset, ip.upperLength) // a later fragment: its payload is meaningless alone
  } else {
    decodeIpPayload(frame, ip, layers)
  }
  return end
}

/**
 * The layers of one record's frame: an Ethernet frame, or with `payload` 'ip' a bare IPv4
 * or IPv6 packet (links without Ethernet, such as SLIP without TAP).
 */
export function decodeFrame(frame: Uint8Array, payload: FramePayload = 'ethernet'): DecodedFrame {
  if (payload === 'ip') return decodePacket(frame)
  const eth = parseEthernet(frame, 0, frame.length)
  if (!eth) return { layers: [malformed('Ethernet', checkEthernet, frame, 0, frame.length)], networkEnd: frame.length }
  const layers: Layer[] = [{ kind: 'ethernet', header: eth }]
  const at = ETHERNET_HEADER_LEN
  let networkEnd = frame.length
  if (eth.etherType === ETHERTYPE_IPV4 || eth.etherType === ETHERTYPE_IPV6) {
    networkEnd = decodeIp(frame, eth.etherType, at, layers)
  } else if (eth.etherType === ETHERTYPE_ARP) {
    const packet = parseArp(frame, at, frame.length - at)
    layers.push(packet ? { kind: 'arp', packet } : malformed('ARP', checkArp, frame, at, frame.length - at))
    if (packet) networkEnd = at + packet.length
  } else {
    pushData(layers, at, frame.length - at)
  }
  return { layers, networkEnd }
}

function decodePacket(packet: Uint8Array): DecodedFrame {
  const layers: Layer[] = []
  const version = packet.length > 0 ? packet[0]! >> 4 : 0
  if (version !== 4 && version !== 6) {
    const problem = packet.length === 0 ? 'Empty packet' : `IP version ${version}: neither IPv4 nor IPv6`
    return { layers: [{ kind: 'malformed', protocol: 'IP', offset: 0, length: packet.length, problem }], networkEnd: packet.length }
  }
  const networkEnd = decodeIp(packet, version === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, 0, layers)
  return { layers, networkEnd }
}

function protocolOf(layer: Layer): string {
  switch (layer.kind) {
    case 'ethernet': return etherTypeName(layer.header.etherType)
    case 'arp': return 'ARP'
    case 'ip': return layer.header.version === 4 ? 'IPv4' : 'IPv6'
    case 'icmp': return 'ICMP'
    case 'icmpv6': return 'ICMPv6'
    case 'udp': return 'UDP'
    case 'tcp': return 'TCP'
    case 'dhcp': return dhcpProtocol(layer.message)
    case 'dns': return 'DNS'
    case 'http': return 'HTTP'
    case 'malformed': return layer.protocol
    case 'data': return 'Data'
  }
}

function infoOf(layer: Layer, frame: Uint8Array): string {
  switch (layer.kind) {
    case 'ethernet': return `Data (${frame.length - ETHERNET_HEADER_LEN} bytes)`
    case 'arp': return arpInfo(layer.packet)
    case 'ip': return layer.header.version === 4 ? ipv4Info(layer.header) : ipv6Info(layer.header)
    case 'icmp': return icmpInfo(layer.message)
    case 'icmpv6': return icmpv6Info(layer.message)
    case 'udp': return udpInfo(layer.header)
    case 'tcp': return tcpInfo(layer.header)
    case 'dhcp': return dhcpInfo(layer.message)
    case 'dns': return dnsInfo(layer.message)
    case 'http': return layer.message.firstLine
    case 'malformed': return `[Malformed Packet: ${layer.problem}]`
    case 'data': return `Data (${layer.length} bytes)`
  }
}

/** One line in the frame list; cheap: called for every visible row, must not build the tree. */
export interface FrameSummary {
  protocol: string
  source: string
  destination: string
  info: string
}

export function summarizeFrame(frame: Uint8Array, payload: FramePayload = 'ethernet'): FrameSummary {
  const { layers } = decodeFrame(frame, payload)
  let source = ''
  let destination = ''
  let top: Layer = layers[0]
  for (const layer of layers) {
    if (layer.kind === 'ethernet' || layer.kind === 'ip') {
      source = layer.header.src
      destination = layer.header.dst
    }
    // Data says nothing about the frame; the layer that carries it does.
    if (layer.kind !== 'data') top = layer
  }
  return { protocol: protocolOf(top), source, destination, info: infoOf(top, frame) }
}

function dissectLayer(frame: Uint8Array, layer: Layer, networkEnd: number): FieldNode {
  switch (layer.kind) {
    case 'ethernet': return dissectEthernet(frame, layer.header, { offset: networkEnd, length: frame.length - networkEnd })
    case 'arp': return dissectArp(layer.packet)
    case 'ip': return layer.header.version === 4 ? dissectIpv4(layer.header) : dissectIpv6(frame, layer.header)
    case 'icmp': return dissectIcmp(frame, layer.message, layer.ip)
    case 'icmpv6': return dissectIcmpv6(frame, layer.message, layer.ip)
    case 'udp': return dissectUdp(frame, layer.header, layer.ip)
    case 'tcp': return dissectTcp(frame, layer.header, layer.ip)
    case 'dhcp': return dissectDhcp(frame, layer.message)
    case 'dns': return dissectDns(layer.message)
    case 'http': return dissectHttp(frame, layer.message)
    case 'malformed': return malformedLayer(layer.protocol, layer.offset, layer.length, layer.problem)
    case 'data': return dataLayer(frame, layer.offset, layer.length)
  }
}

/** Details tree for the selected frame. Offsets are relative to frame[0] (the Ethernet header start). */
export function dissectFrame(frame: Uint8Array, payload: FramePayload = 'ethernet'): FieldNode[] {
  const { layers, networkEnd } = decodeFrame(frame, payload)
  return layers.map((layer) => dissectLayer(frame, layer, networkEnd))
}
