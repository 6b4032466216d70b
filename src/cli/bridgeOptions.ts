// The bridge's command-line options, shared by `bridge` and `serve`; the
// engine's bridgeSettings validates what they hold.
import type { Command } from 'commander'

import { DEFAULT_SOCKET } from '../engine/bridgeSettings.js'

export function addBridgeOptions(command: Command): Command {
  return command
    .option('--socket <path>', `QEMU's UART unix socket (default: ${DEFAULT_SOCKET} under the current folder)`)
    .option('--tcp <host:port>', "connect over TCP instead (QEMU's -serial tcp::PORT,server,nowait)")
    .option('--listen', 'listen on --socket and let QEMU connect (QEMU without ",server")')
    .option('--tun <name>', 'host TUN device', 'tun0')
    .option('--tap', 'use a TAP device and pass Ethernet frames unchanged')
    .option('--host-ip <cidr>', "the host's address on the TUN", '192.168.100.1/24')
    .option('--device-ip <address>', "the device's address", '192.168.100.2')
    .option('--max-frame <bytes>', 'largest frame the device takes, Ethernet header included', '1500')
    .option('--mtu <bytes>', 'TUN MTU (default: max-frame − 14)')
    .option('--gw-mac <mac>', 'MAC the device knows the gateway by (source of frames to it)', '02:00:00:00:00:01')
    .option('--device-mac <mac>', "the device's MAC until it is learned from its frames", '02:00:00:00:00:02')
    .option('--baud <rate>', 'UART baud rate, for utilization (8N1: baud/10 bytes/s)', '115200')
}
