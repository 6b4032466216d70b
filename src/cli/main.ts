// The `tunscope` command.
import { Command, CommanderError, InvalidArgumentError } from 'commander'

import { DEMO_FAULTS } from '../shared/demoFaults.js'
import { UserError } from '../engine/errors.js'
import { runBridge } from './bridgeCommand.js'
import { addBridgeOptions } from './bridgeOptions.js'
import { runDemo } from './demoCommand.js'
import { refuseRepeatedOptions } from './repeatedOptions.js'
import { runServe } from './serveCommand.js'
import { tunCreate, tunDelete } from './tunCommand.js'
import { VERSION } from './version.js'

const USAGE_ERROR = 2

const program = new Command()
  .name('tunscope')
  .description("Bridge an emulated ESP32's UART Ethernet tunnel to a Linux TUN device, and watch every frame.")
  .version(VERSION)
  .exitOverride()
  // Commander's own complaints in the same one-line form as ours.
  .configureOutput({ outputError: (text, write) => write(`tunscope: ${text.replace(/^error: /, '').trim()} (run with --help for usage)\n`) })

addBridgeOptions(program.command('bridge').description('bridge the UART socket to the TUN device until stopped (Ctrl-C)'))
  .option('--pcap <file>', 'capture every frame to a pcapng file, or - for standard output (| wireshark -k -i -)')
  .option('--json', 'print one JSON stats object per second on standard output')
  .option('--quiet', 'print only errors and the final counters')
  .action((flags) => runBridge(flags))

addBridgeOptions(program.command('serve').description('run the bridge with the inspector UI in a browser at 127.0.0.1 (the address is printed)'))
  .option('--port <number>', 'HTTP port on 127.0.0.1 (0: any free port)', '7780')
  .option('--start', 'start bridging at once (otherwise the page\'s Start button does)')
  .option('--demo', 'bridge to the built-in demo device instead of QEMU (with --start: live traffic at once)')
  .action((flags, command: Command) => runServe(flags, command))

program
  .command('demo')
  .description('run a simulated ESP32 on a UART socket, as QEMU would serve it (no QEMU needed); stop with Ctrl-C')
  .option('--socket <path>', 'the UART socket to serve', 'temp/esp32-uart1.sock')
  .option('--baud <rate>', 'pace the output like a real UART at this rate (0: unpaced)', '115200')
  .option('--ip <address>', "the device's IPv4 address", '192.168.100.2')
  .option('--gateway <address>', 'the gateway (the host) it sends telemetry to', '192.168.100.1')
  .option('--fault <kinds>', `put these faults on the wire in turn while a bridge is connected, comma-separated: ${DEMO_FAULTS.join(', ')}`)
  .option('--fault-every <seconds>', 'seconds between two faults', '10')
  .action((flags) => runDemo(flags))

const tun = program.command('tun').description('create or delete a persistent TUN device (run as root, once)')
refuseRepeatedOptions(
  tun
    .command('create')
    .description('make a persistent TUN owned by a user (not root), with address, MTU and link up')
    .requiredOption('--user <login>', 'who may attach to it without privileges')
    .option('--name <name>', 'device name', 'tun0')
    .option('--tap', 'make a TAP device instead')
    .option('--host-ip <cidr>', "the host's address (prefix /16 to /30, not loopback, multicast or reserved)", '192.168.100.1/24')
    .option('--mtu <bytes>', 'MTU (the firmware takes 1500-byte frames: 1486)', '1486')
).action((flags) => console.log(tunCreate(flags)))
refuseRepeatedOptions(
  tun
    .command('delete')
    .description('delete a persistent TUN/TAP device that tun create made')
    .option('--name <name>', 'device name', 'tun0')
).action((flags) => console.log(tunDelete(flags)))

try {
  await program.parseAsync()
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has printed its own message (or help / version)
    process.exit(error.exitCode === 0 ? 0 : USAGE_ERROR)
  }
  if (error instanceof UserError || error instanceof InvalidArgumentError) {
    console.error(`tunscope: ${error.message}`)
    process.exit(USAGE_ERROR)
  }
  throw error
}
