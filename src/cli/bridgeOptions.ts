// The bridge's command-line options, shared by `bridge` and `serve`; the
// engine's bridgeSettings validates what they hold.
import type { Command } from 'commander'

import { DEFAULT_DHCP_LEASE, DEFAULT_SOCKET } from '../engine/bridgeSettings.js'
import { DEFAULT_FRAMING, FRAMING_NAMES, framingFor } from '../engine/framing/index.js'

const framingChoices = FRAMING_NAMES.map((name) => `${name} (${framingFor(name).title.replace(/ \(.*\)$/, '')})`).join(', ')
const maxFrameDefaults = FRAMING_NAMES.map((name) => `${framingFor(name).limits.defaultMaxFrame} for ${name}`).join(', ')
const deviceMacDefaults = FRAMING_NAMES.map((name) => `${framingFor(name).defaultDeviceMac} for ${name}`).join(', ')

const repeatable = (value: string, previous: string[] = []): string[] => [...previous, value]

export function addBridgeOptions(command: Command): Command {
  return command
    .option('--socket <path>', `QEMU's UART unix socket (default: ${DEFAULT_SOCKET} under the current folder); repeat for several devices, each [NAME=][FRAMING:]PATH, e.g. sensor=qemu:temp/b.sock`, repeatable)
    .option('--tcp <host:port>', "connect over TCP instead (QEMU's -serial tcp::PORT,server,nowait); with --listen, listen there (e.g. 127.0.0.1:5555); repeatable like --socket", repeatable)
    .option('--listen', 'listen on --socket, or on --tcp HOST:PORT, and let QEMU connect (QEMU without ",server", or server=off)')
    .option('--serial <path>', 'a serial port instead of a socket, e.g. /dev/ttyUSB0 (8N1, raw, at --baud); repeatable like --socket', repeatable)
    .option('--framing <name>', `how the device's stream carries frames: ${framingChoices}`, DEFAULT_FRAMING)
    .option('--payload <kind>', 'what slip frames carry: ethernet (Zephyr with SLIP_TAP, the default) or ip (slattach, Zephyr without TAP, tunslip6)')
    .option('--ipv6-prefix <prefix>', "with --framing slip: answer tunslip6's prefix request ('?P') with this /64, e.g. fd00:1::/64")
    .option('--tun <name>', 'host TUN device', 'tun0')
    .option('--user-net', 'no TUN and no root: the host side is a user-mode network, passt or QEMU\'s libslirp (NAT to the host and the internet, DHCP, DNS)')
    .option('--user-net-engine <engine>', 'with --user-net: passt or slirp (QEMU\'s libslirp); default passt where installed, else slirp')
    .option('--forward <spec>', 'with --user-net: forward a host port to the device, tcp:8080:80, udp:5000:5000 or tcp:ADDR:8080:80 (default 127.0.0.1); repeat for more', repeatable)
    .option('--tap', 'use a TAP device and pass Ethernet frames unchanged')
    .option('--host-ip <cidr>', "the host's address on the TUN", '192.168.100.1/24')
    .option('--device-ip <address>', "the device's address; with several devices, the first DHCP hands out (each device's own is learned from its frames)", '192.168.100.2')
    .option('--max-frame <bytes>', `largest frame the device takes, Ethernet header included (default: ${maxFrameDefaults})`)
    .option('--mtu <bytes>', 'TUN MTU (default: max-frame − 14; max-frame with --tap or --payload ip)')
    .option('--gw-mac <mac>', 'MAC the device knows the gateway by (source of frames to it)', '02:00:00:00:00:01')
    .option('--device-mac <mac>', `the device's MAC until it is learned from its frames (default: ${deviceMacDefaults})`)
    .option('--baud <rate>', "UART baud rate: the --serial port's speed, and for utilization (8N1: baud/10 bytes/s)", '115200')
    .option('--dhcp', "answer the device's DHCP requests with --device-ip, the host as its router")
    .option('--dhcp-lease <seconds>', `lease time the DHCP server gives (default: ${DEFAULT_DHCP_LEASE})`)
    .option('--dns <address>', 'a resolver the DHCP server offers (give it again for more)', repeatable)
}
