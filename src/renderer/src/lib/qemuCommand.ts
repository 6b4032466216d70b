// The QEMU command line the start screen offers to copy (the README's), built
// from the socket path the user typed. Pure, no DOM: unit-tested in node.

/** Characters a POSIX shell takes literally in a bare word. */
const SHELL_SAFE = /^[\w@%+=:,./-]+$/

/** `word` as one shell word: bare when that is safe, else in single quotes. */
export function shellQuote(word: string): string {
  return SHELL_SAFE.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

/** `path` as the engine will use it: relative paths are under `baseDir`, so QEMU can be started from anywhere. */
export function absoluteSocketPath(baseDir: string, path: string): string {
  if (path.startsWith('/') || baseDir === '') return path
  return `${baseDir.replace(/\/+$/, '')}/${path.replace(/^(\.\/)+/, '')}`
}

/**
 * QEMU for the ESP32 firmware with UART1 served on `socketPath` (QEMU listens,
 * the bridge connects), one option per line as in the README.
 */
export function qemuCommandLine(socketPath: string): string {
  return uartCommand('unix', socketPath)
}

/** One command the start screen offers to copy: what it is for, and its text as it pastes. */
export interface StartCommand {
  /** Names it for tests and React; stable across settings. */
  key: string
  title: string
  text: string
}

/** What the start screen's commands depend on. */
export interface StartCommandSettings {
  framing: string
  transport: string
  /** For the QEMU NIC's mac= (empty: QEMU's default, which the bridge assumes). */
  deviceMac: string
}

/** QEMU's first NIC's MAC unless given one (the qemu framing's default device MAC). */
export const QEMU_DEFAULT_MAC = '52:54:00:12:34:56'

const ESP32_MACHINE = ['qemu-system-xtensa -nographic -machine esp32', '-drive file=build/flash_image.bin,if=mtd,format=raw']

const ESP32_TITLE = 'ESP32 (Espressif\'s QEMU), Ethernet on open_eth'
const OTHER_TITLE = 'Other machines: add to your QEMU command (virtio-net-pci works as e1000 does)'

/** Words as one command, one per line, each line but the last continued by a backslash. */
const lines = (words: string[]): string => words.map((word, i) => (i === 0 ? word : `  ${word}`)).join(' \\\n')

/** QEMU takes a comma inside an option's value as two commas. */
const qemuValue = (text: string): string => text.replaceAll(',', ',,')

/**
 * The QEMU options for the settings' framing and transport, reaching Tunscope
 * at `endpoint` (a socket's full path, or HOST:PORT over TCP), as
 * the README gives them. The qemu framing (a NIC) gets two: Espressif's ESP32
 * with open_eth, and any other machine with an e1000; slip, a Zephyr board's
 * second UART. Any other framing (the ESP32 UART tunnel, and one this version
 * does not know) is the ESP32 firmware's -serial line.
 */
export function startCommands(settings: StartCommandSettings, endpoint: string): StartCommand[] {
  if (settings.framing === 'qemu') return nicCommands(settings, endpoint)
  if (settings.framing === 'slip') return [{ key: 'slip', title: 'Zephyr, SLIP on its second UART: add to QEMU', text: slipCommand(settings.transport, endpoint) }]
  return [{ key: 'serial', title: 'Start QEMU like this', text: uartCommand(settings.transport, endpoint) }]
}

function nicCommands(settings: StartCommandSettings, endpoint: string): StartCommand[] {
  const mac = settings.deviceMac.trim() || QEMU_DEFAULT_MAC
  if (settings.transport === 'tcp' || settings.transport === 'tcp-listen') {
    // The ESP32's socket NIC listens when Tunscope connects (--tcp), and connects when Tunscope listens.
    const peer = `${settings.transport === 'tcp' ? 'listen' : 'connect'}=${qemuValue(endpoint)}`
    // Other machines as the README: the socket netdev listening, or the stream netdev connecting (server=off).
    const [host, port] = hostAndPort(endpoint)
    const netdev = settings.transport === 'tcp' ? `socket,id=n0,${peer}` : `stream,id=n0,server=off,addr.type=inet,addr.host=${qemuValue(host)},addr.port=${qemuValue(port)}`
    return [
      { key: 'esp32', title: ESP32_TITLE, text: lines([...ESP32_MACHINE, `-nic ${shellQuote(`socket,model=open_eth,${peer}`)}`]) },
      { key: 'e1000', title: OTHER_TITLE, text: lines([`-netdev ${shellQuote(netdev)}`, `-device e1000,netdev=n0,mac=${mac}`]) }
    ]
  }
  // QEMU serves the socket when Tunscope connects to it, and connects when Tunscope listens.
  const stream = shellQuote(`stream,id=n0,server=${settings.transport === 'listen' ? 'off' : 'on'},addr.type=unix,addr.path=${qemuValue(endpoint)}`)
  return [
    { key: 'esp32', title: ESP32_TITLE, text: lines([...ESP32_MACHINE, `-netdev ${stream}`, '-net nic,model=open_eth,netdev=n0']) },
    { key: 'e1000', title: OTHER_TITLE, text: lines([`-netdev ${stream}`, `-device e1000,netdev=n0,mac=${mac}`]) }
  ]
}

/** HOST:PORT (an IPv6 host in brackets) as its two parts; not that shape: all of it as the host. */
function hostAndPort(endpoint: string): [string, string] {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):([^:]*)$/.exec(endpoint)
  return match ? [match[1] ?? match[2]!, match[3]!] : [endpoint, 'PORT']
}

/** UART options for Tunscope's end: QEMU serves it when Tunscope connects, and connects when Tunscope listens. */
const UART_PEERS: Record<string, (endpoint: string) => string> = {
  unix: (path) => `unix:${path},server,nowait`,
  listen: (path) => `unix:${path}`,
  tcp: (address) => `tcp:${address},server,nowait`,
  'tcp-listen': (address) => `tcp:${address}`
}

/** A Zephyr board's second UART (its first is the console), in QEMU's newer option syntax. */
function slipCommand(transport: string, endpoint: string): string {
  const serial = (UART_PEERS[transport] ?? UART_PEERS.unix!)(qemuValue(endpoint)).replace(',server,nowait', ',server=on,wait=off')
  return lines(['-serial mon:stdio', `-serial ${shellQuote(serial)}`])
}

/** The ESP32 firmware's UART1, as the README starts it. */
function uartCommand(transport: string, endpoint: string): string {
  const serial = (UART_PEERS[transport] ?? UART_PEERS.unix!)(qemuValue(endpoint))
  return lines([...ESP32_MACHINE, '-serial mon:stdio', `-serial ${shellQuote(serial)}`])
}
