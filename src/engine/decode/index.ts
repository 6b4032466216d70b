// Wireshark-like protocol decoding for the frame list and the details tree.
// Every parser takes (bytes, offset, length), checks the length before reading, and never throws:
// a cut or bogus header yields undefined from parseX (checkX says why) and a '[Malformed]' layer in the tree.
export { decodeFrame, dissectFrame, summarizeFrame, type DecodedFrame, type FrameSummary, type Layer } from './frame'
export { type FieldNode } from './tree'
export { formatIpv4, formatIpv6, formatMac, type ChecksumStatus } from './bytes'
export {
  checkEthernet, etherTypeName, parseEthernet, ETHERNET_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6,
  type EthernetHeader
} from './ethernet'
export { arpInfo, checkArp, parseArp, type ArpPacket } from './arp'
export { ipProtocolName, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, type IpHeader } from './ip'
export { checkIpv4, parseIpv4, type Ipv4Header } from './ipv4'
export { checkIpv6, parseIpv6, type Ipv6Extension, type Ipv6Header } from './ipv6'
export { checkIcmp, icmpInfo, parseIcmp, type IcmpMessage } from './icmpv4'
export { checkIcmpv6, icmpv6Info, parseIcmpv6, type Icmpv6Message, type NdpOption } from './icmpv6'
export { checkUdp, parseUdp, udpInfo, type UdpHeader } from './udp'
export {
  checkTcp, parseTcp, tcpFlagNames, tcpInfo, TcpFlag, type TcpHeader, type TcpOption
} from './tcp'
export { checkDhcp, dhcpInfo, parseDhcp, type DhcpMessage, type DhcpOption } from './dhcp'
export { checkDns, dnsInfo, dnsTypeName, parseDns, type DnsMessage, type DnsQuestion, type DnsRecord } from './dns'
export { parseHttp, type HttpMessage } from './http'
