// Real-looking Ethernet frames on the Tunscope link: device 192.168.100.2 / 02:00:00:00:00:02,
// host 192.168.100.1 / 02:00:00:00:00:01. Built by hand with independently computed checksums and
// checked with tshark (all checksums valid except ipv4BadChecksum's). Shared by other test suites.

/** Concatenates hex strings (whitespace allowed) into bytes. */
export function hexFrame(...parts: string[]): Uint8Array {
  const hex = parts.join('').replace(/\s+/g, '')
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return bytes
}

/** ASCII text as hex, for payloads that are text. */
export function ascii(text: string): string {
  return Array.from(text, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('')
}

/** ARP request from the device: who has the gateway? */
export const arpRequest = hexFrame(
  'ffffffffffff 020000000002 0806', // Ethernet: broadcast ← device
  '0001 0800 06 04 0001', // ARP Ethernet/IPv4, request
  '020000000002 c0a86402 000000000000 c0a86401', // sender MAC/IP, target MAC/IP
  '00'.repeat(18) // Ethernet padding
)

/** ARP reply from the host (proxy ARP): the gateway is at 02:00:00:00:00:01. */
export const arpReply = hexFrame(
  '020000000002 020000000001 0806', // Ethernet: device ← host
  '0001 0800 06 04 0002', // ARP Ethernet/IPv4, reply
  '020000000001 c0a86401 020000000002 c0a86402', // sender MAC/IP, target MAC/IP
  '00'.repeat(18) // Ethernet padding
)

/** ping 192.168.100.2 from the host: id 1, seq 3, 56 data bytes like Linux ping. */
export const icmpEchoRequest = hexFrame(
  '020000000002 020000000001 0800', // Ethernet
  '45 00 004c 3a7f 4000 40 01 b6dd c0a86401 c0a86402', // IPv4
  '08 00 4da8 0001 0003', // ICMP echo request id=1 seq=3
  '5f1a8c6600000000101112131415161718191a1b1c1d1e1f', // ping data
  '202122232425262728292a2b2c2d2e2f3031323334353637'
)

/** The device answers: lwIP sends TTL 255, no DF. */
export const icmpEchoReply = hexFrame(
  '020000000001 020000000002 0800', // Ethernet
  '45 00 004c 0005 0000 ff 01 7257 c0a86402 c0a86401', // IPv4
  '00 00 55a8 0001 0003', // ICMP echo reply id=1 seq=3
  '5f1a8c6600000000101112131415161718191a1b1c1d1e1f', // ping data
  '202122232425262728292a2b2c2d2e2f3031323334353637'
)

/** UDP to the echo port: 54321 → 7, "hello, world". */
export const udpEcho = hexFrame(
  '020000000002 020000000001 0800', // Ethernet
  '45 00 0028 8e21 4000 40 11 634f c0a86401 c0a86402', // IPv4
  'd431 0007 0014 a1ec', // UDP
  ascii('hello, world'),
  '00'.repeat(6) // Ethernet padding
)

/** udpEcho with the IPv4 header checksum overwritten by 0x1234 (correct is 0x634f). */
export const ipv4BadChecksum = hexFrame(
  '020000000002 020000000001 0800', // Ethernet
  '45 00 0028 8e21 4000 40 11 1234 c0a86401 c0a86402', // IPv4
  'd431 0007 0014 a1ec', // UDP
  ascii('hello, world'),
  '00'.repeat(6) // Ethernet padding
)

/** The device rejects UDP to port 9, quoting the IPv4 header and UDP header. */
export const icmpPortUnreachable = hexFrame(
  '020000000001 020000000002 0800', // Ethernet
  '45 00 0038 0006 0000 ff 01 726a c0a86402 c0a86401', // IPv4
  '03 03 86c3 0000 0000', // ICMP destination unreachable, port unreachable
  '450000288e2240004011634ec0a86401c0a86402d4310009', // quoted IPv4 + UDP header
  '0014a1ea'
)

/** A later fragment of a UDP datagram: offset 1480, ID 0xabcd. */
export const ipv4Fragment = hexFrame(
  '020000000002 020000000001 0800', // Ethernet
  '45 00 0044 abcd 00b9 40 11 84ce c0a86401 c0a86402', // IPv4
  '000102030405060708090a0b0c0d0e0f1011121314151617', // fragment data
  '18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f'
)

/** Linux SYN to the device's web server: MSS 1446, SACK permitted, timestamps, NOP, window scale 7. */
export const tcpSyn = hexFrame(
  '020000000002 020000000001 0800', // Ethernet
  '45 00 003c 4d2e 4000 40 06 a439 c0a86401 c0a86402', // IPv4
  'd431 0050 00000000 00000000 a0 02 faf0 69f9 0000', // TCP SYN
  '020405a6 0402 080a9a3c2b1100000000 01 030307' // TCP options: MSS 1446, SACK permitted, timestamps, NOP, window scale 7
)

/** lwIP SYN-ACK: MSS option only. */
export const tcpSynAck = hexFrame(
  '020000000001 020000000002 0800', // Ethernet
  '45 00 002c 0007 0000 ff 06 7270 c0a86402 c0a86401', // IPv4
  '0050 d431 0000196d 00000001 60 12 1670 4a7a 0000', // TCP SYN, ACK
  '0204059c', // TCP options: MSS 1436
  '0000' // Ethernet padding
)

/** curl's request to the device. */
export const tcpHttpGet = hexFrame(
  '020000000002 020000000001 0800', // Ethernet
  '45 00 0075 4d30 4000 40 06 a3fe c0a86401 c0a86402', // IPv4
  'd431 0050 00000001 0000196e 50 18 faf0 e632 0000', // TCP PSH, ACK
  ascii('GET / HTTP/1.0\r\nHost: 192.168.100.2\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n')
)

/** The device's answer. */
export const tcpHttpResponse = hexFrame(
  '020000000001 020000000002 0800', // Ethernet
  '45 00 0075 0008 0000 ff 06 7226 c0a86402 c0a86401', // IPv4
  '0050 d431 0000196e 0000004e 50 18 1670 838d 0000', // TCP PSH, ACK
  ascii('HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<h1>Hi</h1>\r\n')
)

/** The device closes the connection. */
export const tcpFinAck = hexFrame(
  '020000000001 020000000002 0800', // Ethernet
  '45 00 0028 0009 0000 ff 06 7272 c0a86402 c0a86401', // IPv4
  '0050 d431 000019b9 0000004e 50 11 1670 6186 0000', // TCP FIN, ACK
  '00'.repeat(6) // Ethernet padding
)

/** The device refuses a connection to a closed port. */
export const tcpRst = hexFrame(
  '020000000001 020000000002 0800', // Ethernet
  '45 00 0028 000a 0000 ff 06 7271 c0a86402 c0a86401', // IPv4
  '15b3 9c40 00000000 00003039 50 14 0000 844f 0000', // TCP RST, ACK
  '00'.repeat(6) // Ethernet padding
)

/** Telemetry over TCP (not HTTP): NOP, NOP, timestamps. */
export const tcpData = hexFrame(
  '020000000002 020000000001 0800', // Ethernet
  '45 00 0041 4d31 4000 40 06 a431 c0a86401 c0a86402', // IPv4
  '9c40 15b3 10203040 50607080 80 18 01f6 1ff7 0000', // TCP PSH, ACK
  '01 01 080a0001e2400009fbf1', // TCP options: NOP, NOP, timestamps
  ascii('telemetry 42\n')
)

/** DHCP Discover from the device, transaction 0x1234abcd. */
export const dhcpDiscover = hexFrame(
  'ffffffffffff 020000000002 0800', // Ethernet
  '45 00 0126 0001 0000 ff 11 bac6 00000000 ffffffff', // IPv4
  '0044 0043 0112 952e', // UDP 68 → 67
  '01 01 06 00 1234abcd 0000 8000', // op, htype, hlen, hops, xid, secs, flags
  '00'.repeat(16), // ciaddr, yiaddr, siaddr, giaddr
  '020000000002 00000000000000000000', // chaddr
  '00'.repeat(192), // sname, file
  '63825363', // magic cookie
  '350101 3d0701020000000002 0c056573703332 37040103060f ff' // options: message type Discover, client id, host name "esp32", parameter request list, end
)

/** DHCP Offer from the host: 192.168.100.2, lease 1 day. */
export const dhcpOffer = hexFrame(
  '020000000002 020000000001 0800', // Ethernet
  '45 00 0128 0002 4000 40 11 f06e c0a86401 c0a86402', // IPv4
  '0043 0044 0114 cca3', // UDP 67 → 68
  '02 01 06 00 1234abcd 0000 0000', // op, htype, hlen, hops, xid, secs, flags
  '00000000 c0a86402 c0a86401 00000000', // ciaddr, yiaddr, siaddr, giaddr
  '020000000002 00000000000000000000', // chaddr
  '00'.repeat(192), // sname, file
  '63825363', // magic cookie
  '350102 3604c0a86401 330400015180 0104ffffff00 0304c0a86401 ff' // options: message type Offer, server id, lease time, subnet mask, router, end
)

/** The device asks the host for example.com A, id 0x1a2b. */
export const dnsQuery = hexFrame(
  '020000000001 020000000002 0800', // Ethernet
  '45 00 0039 000b 0000 ff 11 7254 c0a86402 c0a86401', // IPv4
  'c001 0035 0025 0c80', // UDP 49153 → 53
  '1a2b 0100 0001 0000 0000 0000', // DNS header
  '076578616d706c6503636f6d00 0001 0001' // DNS question: example.com A IN
)

/** The answer, its name compressed to a pointer (0xc00c). */
export const dnsResponse = hexFrame(
  '020000000002 020000000001 0800', // Ethernet
  '45 00 0049 8e23 4000 40 11 632c c0a86401 c0a86402', // IPv4
  '0035 c001 0035 8dda', // UDP 53 → 49153
  '1a2b 8180 0001 0001 0000 0000', // DNS header
  '076578616d706c6503636f6d00 0001 0001', // DNS question: example.com A IN
  'c00c 0001 0001 00000e10 0004 5db8d822' // DNS answer: pointer to example.com, A IN, TTL 3600, 93.184.216.34
)

/** ping fd00::2 from the host. */
export const icmpv6EchoRequest = hexFrame(
  '020000000002 020000000001 86dd', // Ethernet
  '60000000 0038 3a 40 fd000000000000000000000000000001 fd000000000000000000000000000002', // IPv6
  '80 00 db30 0001 0003', // ICMPv6 echo request id=1 seq=3
  '5f1a8c6600000000101112131415161718191a1b1c1d1e1f', // ping data
  '202122232425262728292a2b2c2d2e2f3031323334353637'
)

/** The device answers. */
export const icmpv6EchoReply = hexFrame(
  '020000000001 020000000002 86dd', // Ethernet
  '60000000 0038 3a ff fd000000000000000000000000000002 fd000000000000000000000000000001', // IPv6
  '81 00 da30 0001 0003', // ICMPv6 echo reply id=1 seq=3
  '5f1a8c6600000000101112131415161718191a1b1c1d1e1f', // ping data
  '202122232425262728292a2b2c2d2e2f3031323334353637'
)

/** The device looks up fe80::1 (solicited-node multicast), with its source link-layer address. */
export const icmpv6NeighborSolicitation = hexFrame(
  '3333ff000001 020000000002 86dd', // Ethernet
  '60000000 0020 3a ff fe800000000000000000000000000002 ff0200000000000000000001ff000001', // IPv6
  '87 00 7a97 00000000 fe800000000000000000000000000001', // ICMPv6 neighbor solicitation
  '01 01 020000000002' // option: source link-layer address
)

/** The host answers: solicited, override, target link-layer address. */
export const icmpv6NeighborAdvertisement = hexFrame(
  '020000000002 020000000001 86dd', // Ethernet
  '60000000 0020 3a ff fe800000000000000000000000000001 fe800000000000000000000000000002', // IPv6
  '88 00 181c 60000000 fe800000000000000000000000000001', // ICMPv6 neighbor advertisement
  '02 01 020000000001' // option: target link-layer address
)

/** The device asks for routers. */
export const icmpv6RouterSolicitation = hexFrame(
  '333300000002 020000000002 86dd', // Ethernet
  '60000000 0010 3a ff fe800000000000000000000000000002 ff020000000000000000000000000002', // IPv6
  '85 00 7a2a 00000000', // ICMPv6 router solicitation
  '01 01 020000000002' // option: source link-layer address
)

/** MLDv2 report behind a Hop-by-Hop header, as every IPv6 host sends on link-up. */
export const ipv6HopByHopMld = hexFrame(
  '333300000016 020000000002 86dd', // Ethernet
  '60000000 0024 00 01 fe800000000000000000000000000002 ff020000000000000000000000000016', // IPv6
  '3a00050200000100', // IPv6 Hop-by-Hop options (Router Alert)
  '8f00710500000001', // ICMPv6 MLDv2 report
  '04000000ff0200000000000000000001ff000002' // multicast address record
)

/** UDP over IPv6 to the echo port. */
export const udp6 = hexFrame(
  '020000000002 020000000001 86dd', // Ethernet
  '60000000 0011 11 40 fd000000000000000000000000000001 fd000000000000000000000000000002', // IPv6
  '9c40 0007 0011 6f2a', // UDP
  ascii('ping6 udp')
)

/** EtherType 0x88b5 (local experimental): not decoded. */
export const unknownEtherType = hexFrame(
  'ffffffffffff 020000000002 88b5', // Ethernet
  ascii('tunscope test payload'),
  '00'.repeat(25) // Ethernet padding
)

/** The host advertises itself as a router with prefix fd00::/64. */
export const icmpv6RouterAdvertisement = hexFrame(
  '333300000001 020000000001 86dd', // Ethernet
  '60000000 0038 3a ff fe800000000000000000000000000001 ff020000000000000000000000000001', // IPv6
  '86 00 6776 40 00 0708 00000000 00000000', // ICMPv6 router advertisement
  '0101020000000001 030440c0000151800000384000000000fd000000000000000000000000000000' // NDP options: source link-layer address, prefix information
)

/** The device rejects UDP to port 9 over IPv6, quoting the packet. */
export const icmpv6PortUnreachable = hexFrame(
  '020000000001 020000000002 86dd', // Ethernet
  '60000000 0041 3a 40 fd000000000000000000000000000002 fd000000000000000000000000000001', // IPv6
  '01 04 934c 0000 0000', // ICMPv6 destination unreachable, port unreachable
  '6000000000111140fd000000000000000000000000000001', // quoted IPv6 + UDP packet
  'fd0000000000000000000000000000029c40000900116f28',
  '70696e673620756470'
)

/** www.example.com is a CNAME for example.com: chained compression pointers. */
export const dnsCnameResponse = hexFrame(
  '020000000002 020000000001 0800', // Ethernet
  '45 00 005b 8e24 4000 40 11 6319 c0a86401 c0a86402', // IPv4
  '0035 c002 0047 7340', // UDP 53 → 49154
  '2b3c8180000100020000000003777777076578616d706c65', // DNS response: header, question, CNAME, A
  '03636f6d0000010001c00c000500010000012c0002c010c0',
  '2d000100010000012c00045db8d822'
)

/** No such name, with the zone's SOA in the authority section. */
export const dnsNxDomain = hexFrame(
  '020000000002 020000000001 0800', // Ethernet
  '45 00 0068 8e25 4000 40 11 630b c0a86401 c0a86402', // IPv4
  '0035 c003 0054 90c0', // UDP 53 → 49155
  '3c4d81830001000000010000046e6f7065076578616d706c', // DNS response: header, question, SOA
  '6500001c0001c011000600010000003c0022026e73076578',
  '616d706c6500c0110000000100001c2000000e1000127500',
  '0000003c'
)

/** A later IPv6 fragment: offset 1448, more fragments, ident 0xdeadbeef. */
export const ipv6Fragment = hexFrame(
  '020000000002 020000000001 86dd', // Ethernet
  '60000000 0018 2c 40 fd000000000000000000000000000001 fd000000000000000000000000000002', // IPv6
  '110005a9deadbeef', // IPv6 fragment header
  '000102030405060708090a0b0c0d0e0f' // fragment data
)

/** Every fixture above, by name. */
export const fixtures = {
  arpRequest,
  arpReply,
  icmpEchoRequest,
  icmpEchoReply,
  udpEcho,
  ipv4BadChecksum,
  icmpPortUnreachable,
  ipv4Fragment,
  tcpSyn,
  tcpSynAck,
  tcpHttpGet,
  tcpHttpResponse,
  tcpFinAck,
  tcpRst,
  tcpData,
  dhcpDiscover,
  dhcpOffer,
  dnsQuery,
  dnsResponse,
  icmpv6EchoRequest,
  icmpv6EchoReply,
  icmpv6NeighborSolicitation,
  icmpv6NeighborAdvertisement,
  icmpv6RouterSolicitation,
  ipv6HopByHopMld,
  udp6,
  unknownEtherType,
  icmpv6RouterAdvertisement,
  icmpv6PortUnreachable,
  dnsCnameResponse,
  dnsNxDomain,
  ipv6Fragment
}
