// The demo device's network interface and IP stack: Ethernet in and out of
// the UART, ARP answered, IPv4 checked and handed to ICMP, UDP and TCP.
// Everything it sends goes to the gateway's MAC, which the firmware knows
// by a static ARP entry. With the 'ip' link (SLIP without TAP) the UART
// carries bare IPv4 packets instead: no Ethernet header and no ARP.
import { DHCP_CLIENT_PORT } from '../../engine/decode/dhcp.js'
import { ETHERNET_HEADER_LEN as ETHERNET_HEADER, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../engine/decode/ethernet.js'
import { arpReplyFor } from './arp.js'
import type { Clock } from './clock.js'
import { echoReply, portUnreachable } from './icmp.js'
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_HEADER, readIpv4Packet, writeIpv4Header } from './ipv4Packet.js'
import { TcpStack } from './tcp/tcpStack.js'
import { buildUdp, readUdp, type UdpView } from './udp.js'

export interface DeviceLink {
  /** Queues a frame on the UART; false if it was dropped. */
  sendFrame(frame: Uint8Array): boolean
  /** Whether a full-size frame fits now without crowding the line. */
  canSend(): boolean
}

/** The limited broadcast address, 255.255.255.255. */
export const IPV4_BROADCAST = 0xffffffff

export interface DeviceStackOptions {
  mac: Uint8Array
  /** 0 until a DHCP client sets one (setIp). */
  ip: number
  gatewayMac: Uint8Array
  /** Largest frame the device sends or takes, Ethernet header included (with the 'ip' link: the largest packet). */
  maxFrame: number
  /** What the link carries: Ethernet frames (the default) or bare IP packets, as SLIP without TAP does. */
  linkLayer?: 'ethernet' | 'ip'
  clock: Clock
  link: DeviceLink
}

export interface UdpPeer {
  ip: number
  port: number
}

export interface DeviceStackCounters {
  arpReplies: number
  echoReplies: number
  udpIn: number
  udpOut: number
  portUnreachables: number
  /** Frames not for this device, or not IPv4/ARP, or malformed, bad checksums, fragments. */
  ignored: number
  /** Packets the device would not send because the frame would exceed the max frame. */
  tooBig: number
}

export class DeviceStack {
  readonly counters: DeviceStackCounters = { arpReplies: 0, echoReplies: 0, udpIn: 0, udpOut: 0, portUnreachables: 0, ignored: 0, tooBig: 0 }
  readonly tcp: TcpStack
  private readonly udpPorts = new Map<number, (datagram: UdpView, from: UdpPeer) => void>()
  private nextId = 1
  /** Bytes before the IP header in what the link carries: an Ethernet header, or none. */
  private readonly linkHeader: number

  constructor(private readonly o: DeviceStackOptions) {
    this.linkHeader = o.linkLayer === 'ip' ? 0 : ETHERNET_HEADER
    this.tcp = new TcpStack({
      localIp: o.ip,
      clock: o.clock,
      mss: o.maxFrame - this.linkHeader - IPV4_HEADER - 20,
      output: { send: (remoteIp, segment) => this.sendIpv4(remoteIp, IPPROTO_TCP, segment), canSend: () => o.link.canSend() }
    })
  }

  get ip(): number {
    return this.o.ip
  }

  /** The device's address from now on (a DHCP lease taken, or 0: lost). */
  setIp(ip: number): void {
    this.o.ip = ip
    this.tcp.setLocalIp(ip)
  }

  /**
   * One Ethernet frame from the UART, or one IP packet with the 'ip' link
   * (valid only during the call). The destination MAC is not checked: a UART
   * has no MAC filter, and lwIP leaves that to the hardware, so the firmware
   * takes whatever the host addressed.
   */
  receive(frame: Uint8Array): void {
    if (this.linkHeader > 0) {
      if (frame.length < ETHERNET_HEADER) return this.ignore()
      const etherType = (frame[12]! << 8) | frame[13]!
      if (etherType === ETHERTYPE_ARP) {
        const reply = this.o.ip === 0 ? null : arpReplyFor(frame, this.o.mac, this.o.ip)
        if (!reply) return this.ignore()
        this.counters.arpReplies++
        this.o.link.sendFrame(reply)
        return
      }
      if (etherType !== ETHERTYPE_IPV4) return this.ignore()
    }
    const ip = readIpv4Packet(frame, this.linkHeader)
    if (typeof ip === 'string') return this.ignore()
    const payload = frame.subarray(ip.payloadStart, ip.payloadEnd)
    // Broadcast UDP is taken, and so is anything to the DHCP client's port: its
    // offer comes to the address it does not have yet (lwIP's LWIP_IP_ACCEPT_UDP_PORT).
    const broadcast = ip.dst === IPV4_BROADCAST
    const toUs = ip.dst === this.o.ip && this.o.ip !== 0
    if (!toUs && !(ip.protocol === IPPROTO_UDP && (broadcast || dhcpClientPort(payload)))) return this.ignore()
    if (ip.protocol === IPPROTO_TCP) {
      this.tcp.receive(ip.src, payload)
      return
    }
    if (ip.protocol === IPPROTO_ICMP) {
      const reply = echoReply(payload)
      if (!reply) return this.ignore()
      if (this.sendIpv4(ip.src, IPPROTO_ICMP, reply)) this.counters.echoReplies++
      return
    }
    if (ip.protocol !== IPPROTO_UDP) return this.ignore()
    const datagram = readUdp(payload, ip.src, ip.dst)
    if (!datagram) return this.ignore()
    this.counters.udpIn++
    const handler = this.udpPorts.get(datagram.dstPort)
    if (handler) handler(datagram, { ip: ip.src, port: datagram.srcPort })
    // no ICMP error about a broadcast (RFC 1122 §3.2.2)
    else if (toUs && this.sendIpv4(ip.src, IPPROTO_ICMP, portUnreachable(frame, ip.headerStart, ip.payloadStart, ip.payloadEnd))) this.counters.portUnreachables++
  }

  bindUdp(port: number, handler: (datagram: UdpView, from: UdpPeer) => void): void {
    this.udpPorts.set(port, handler)
  }

  sendUdp(to: UdpPeer, srcPort: number, payload: Uint8Array): boolean {
    const sent = this.sendIpv4(to.ip, IPPROTO_UDP, buildUdp(this.o.ip, to.ip, srcPort, to.port, payload))
    if (sent) this.counters.udpOut++
    return sent
  }

  /** The UART has room again. */
  linkReady(): void {
    this.tcp.linkReady()
  }

  close(): void {
    this.tcp.close()
  }

  /** Wraps `payload` in IPv4 and (unless the link is 'ip') Ethernet towards the gateway; false if it was not sent. */
  sendIpv4(dst: number, protocol: number, payload: Uint8Array): boolean {
    const at = this.linkHeader
    const length = at + IPV4_HEADER + payload.length
    if (length > this.o.maxFrame) {
      this.counters.tooBig++
      return false
    }
    const frame = new Uint8Array(length)
    if (at > 0) {
      frame.set(dst === IPV4_BROADCAST ? BROADCAST_MAC : this.o.gatewayMac, 0)
      frame.set(this.o.mac, 6)
      frame[12] = ETHERTYPE_IPV4 >> 8
      frame[13] = ETHERTYPE_IPV4 & 0xff
    }
    writeIpv4Header(frame, at, this.o.ip, dst, protocol, this.nextId, payload.length)
    this.nextId = (this.nextId + 1) & 0xffff
    frame.set(payload, at + IPV4_HEADER)
    return this.o.link.sendFrame(frame)
  }

  private ignore(): void {
    this.counters.ignored++
  }
}

const BROADCAST_MAC = new Uint8Array(6).fill(0xff)

function dhcpClientPort(udp: Uint8Array): boolean {
  return udp.length >= 4 && ((udp[2]! << 8) | udp[3]!) === DHCP_CLIENT_PORT
}
