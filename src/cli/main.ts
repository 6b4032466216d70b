// The `tunscope` command.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'

import { DEMO_FAULTS } from '../shared/demoFaults.js'
import { UserError } from '../engine/errors.js'
import { DEFAULT_FRAMING, FRAMING_NAMES, framingFor } from '../engine/framing/index.js'
import { runBridge } from './bridgeCommand.js'
import { addBridgeOptions } from './bridgeOptions.js'
import { runDemo } from './demoCommand.js'
import { refuseRepeatedOptions } from './repeatedOptions.js'
import { runServe } from './serveCommand.js'
import { tunCreate, tunDelete } from './tunCommand.js'
import { VERSION } from './version.js'

const USAGE_ERROR = 2

/** Help text after a command's options: the lines under "Examples:", then any notes. */
function examples(lines: readonly string[], ...notes: string[]): string {
  return [`\nExamples:`, ...lines.map((line) => `  ${line}`), ...notes.map((note) => `\n${note}`)].join('\n')
}

const program = new Command()
  .name('tunscope')
  .description("Bridge an emulated ESP32's UART Ethernet tunnel to a Linux TUN device, and watch every frame.")
  .version(VERSION, '-V, --version', 'print the version (-v works too)')
  .addOption(new Option('-v').hideHelp())
  .on('option:v', () => {
    process.stdout.write(`${VERSION}\n`)
    throw new CommanderError(0, 'commander.version', VERSION)
  })
  .exitOverride()
  .configureOutput({
    // Commander's own complaints in the same one-line form as ours, on stderr.
    outputError: (text) => process.stderr.write(`tunscope: ${text.replace(/^error: /, '').trim()} (run with --help for usage)\n`),
    // Left for the help shown when no command is given (`tunscope`, `tunscope tun`): on stdout like --help, exit 2.
    writeErr: (text) => process.stdout.write(text)
  })
  .addHelpText('after', examples([
    '# once, as root: a TUN you own (tun0, 192.168.100.1/24, MTU 1486):',
    'sudo tunscope tun create --user "$USER"',
    '# QEMU\'s temp/esp32-uart1.sock <-> tun0, until Ctrl-C:',
    'tunscope bridge',
    '# the inspector in a browser, with the built-in demo device:',
    'tunscope serve --demo --start'
  ], 'Run "tunscope COMMAND --help" for its options and examples.\nWith no command, this help is printed and the exit code is 2.'))

addBridgeOptions(program.command('bridge').description('bridge the UART socket to the TUN device until stopped (Ctrl-C)'))
  .option('--pcap <file>', 'capture every frame to a pcapng file, or - for standard output (| wireshark -k -i -)')
  .option('--json', 'print one JSON stats object per second on standard output')
  .option('--quiet', 'print only errors and the final counters')
  .addHelpText('after', examples([
    '# QEMU with -serial unix:temp/esp32-uart1.sock,server,nowait, from its folder:',
    'tunscope bridge',
    '# QEMU with -serial tcp::5555,server,nowait:',
    'tunscope bridge --tcp localhost:5555',
    '# QEMU with -serial unix:temp/esp32-uart1.sock (QEMU connects to the bridge):',
    'tunscope bridge --listen',
    '# a QEMU NIC: -netdev stream,id=n0,server=on,addr.type=unix,addr.path=temp/qemu-nic.sock:',
    'tunscope bridge --framing qemu --socket temp/qemu-nic.sock',
    '# the device takes its address by DHCP (ESP-IDF open_eth examples, udhcpc):',
    'tunscope bridge --framing qemu --socket temp/qemu-nic.sock --dhcp --dns 192.168.100.1',
    '# real hardware: the board on a USB serial adapter, 8N1 at the firmware\'s baud:',
    'tunscope bridge --serial /dev/ttyUSB0 --baud 115200',
    '# the demo device instead of QEMU (then ping 192.168.100.2):',
    'mkdir -p temp && tunscope demo &',
    'tunscope bridge',
    '# live capture into Wireshark:',
    'tunscope bridge --pcap - | wireshark -k -i -'
  ], 'Unless the bridge runs as root, make the TUN once first:\n  sudo tunscope tun create --user "$USER"'))
  .action((flags) => runBridge(flags))

addBridgeOptions(program.command('serve').description('run the bridge with the inspector UI in a browser at 127.0.0.1 (the address is printed)'))
  .option('--port <number>', 'HTTP port on 127.0.0.1 (0: any free port)', '7780')
  .option('--start', 'start bridging at once (otherwise the page\'s Start button does)')
  .option('--demo', 'bridge to the built-in demo device instead of QEMU (with --start: live traffic at once)')
  .addHelpText('after', examples([
    '# the demo device, traffic at once:',
    'tunscope serve --demo --start',
    '# the demo device takes its address by DHCP; the exchange is in the frame list:',
    'tunscope serve --demo --dhcp --start',
    '# QEMU\'s temp/esp32-uart1.sock; press Start in the page:',
    'tunscope serve',
    '# QEMU over TCP (-serial tcp::5555,server,nowait), any free HTTP port:',
    'tunscope serve --tcp localhost:5555 --start --port 0'
  ], 'Open the printed http://127.0.0.1:PORT/?token=… address in a browser.'))
  .action((flags, command: Command) => runServe(flags, command))

program
  .command('demo')
  .description('run a simulated ESP32 on a UART socket, as QEMU would serve it (no QEMU needed); stop with Ctrl-C')
  .option('--socket <path>', 'the UART socket to serve', 'temp/esp32-uart1.sock')
  .option('--baud <rate>', 'pace the output like a real UART at this rate (0: unpaced)', '115200')
  .option('--ip <address>', "the device's IPv4 address", '192.168.100.2')
  .option('--gateway <address>', 'the gateway (the host) it sends telemetry to; needed with an --ip outside 192.168.100.0/24', '192.168.100.1')
  .option('--dhcp', 'take the address by DHCP instead of --ip (from tunscope bridge --dhcp; renewed at half the lease)')
  .option('--fault <kinds>', `put these faults on the wire in turn while a bridge is connected, comma-separated: ${DEMO_FAULTS.join(', ')}`)
  .option('--fault-every <seconds>', 'seconds between two faults', '10')
  .option('--framing <name>', `how frames go on the wire, as tunscope bridge --framing: ${FRAMING_NAMES.join(', ')}`, DEFAULT_FRAMING)
  .option('--payload <kind>', 'what slip frames carry: ethernet (the default) or ip (bare IPv4: no ARP, no --dhcp)')
  .option('--mac <address>', `the device's MAC (default: ${FRAMING_NAMES.map((name) => `${framingFor(name).defaultDeviceMac} for ${name}`).join(', ')})`)
  .addHelpText('after', examples([
    '# the device on temp/esp32-uart1.sock, like QEMU, and the bridge to it:',
    'mkdir -p temp && tunscope demo &',
    'tunscope bridge      # then: ping 192.168.100.2, curl http://192.168.100.2/',
    '# the device asks the bridge for its address:',
    'tunscope demo --dhcp &',
    'tunscope bridge --dhcp',
    '# unpaced, with junk and a burst on the wire in turn every 5 s:',
    'tunscope demo --baud 0 --fault junk,burst --fault-every 5',
    '# as a Zephyr SLIP device (bare IP), and the bridge to it:',
    'tunscope demo --framing slip --payload ip &',
    'tunscope bridge --framing slip --payload ip'
  ]))
  .action((flags, command: Command) => runDemo(flags, command))

const tun = program.command('tun').description('create or delete a persistent TUN device (run as root, once)')
refuseRepeatedOptions(
  tun
    .command('create')
    .description('make a persistent TUN owned by a user (not root), with address, MTU and link up')
    .requiredOption('--user <login>', 'required: who may attach to it without privileges (a login, not root)')
    .option('--name <name>', 'device name', 'tun0')
    .option('--tap', 'make a TAP device instead')
    .option('--host-ip <cidr>', "the host's address (prefix /16 to /30, not loopback, multicast or reserved)", '192.168.100.1/24')
    .option('--mtu <bytes>', 'MTU (the firmware takes 1500-byte frames: 1486)', '1486')
    .addHelpText('after', examples([
      '# tun0, 192.168.100.1/24, MTU 1486, for tunscope bridge:',
      'sudo tunscope tun create --user "$USER"',
      '# a TAP, for tunscope bridge --tun tap0 --tap:',
      'sudo tunscope tun create --user "$USER" --name tap0 --tap'
    ]))
).action((flags) => console.log(tunCreate(flags)))
refuseRepeatedOptions(
  tun
    .command('delete')
    .description('delete a persistent TUN/TAP device that tun create made')
    .option('--name <name>', 'device name', 'tun0')
    .addHelpText('after', examples(['sudo tunscope tun delete --name tun0']))
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
