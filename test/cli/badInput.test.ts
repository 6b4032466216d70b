// `tunscope` refuses bad input with one sentence on stderr ("tunscope: " + what
// is wrong + what to do), exit code 2, nothing on stdout and nothing created.
// Needs no root. When run as root, every command runs inside a throwaway
// network namespace, so an input that were wrongly accepted could not create a
// TUN in the root namespace (and the namespace shows that nothing was created).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { createNamespace, destroyAll, netnsAvailable, type ExecResult, type Netns } from '../helpers/netns.js'
import { expectRefused, PACKAGE_VERSION, TUNSCOPE_BIN, interfaceNames, isRoot, runLocal, tunscope } from './cliHelpers.js'

let ns: Netns | undefined
let work = ''
let socket = ''

async function run(args: readonly string[]): Promise<ExecResult> {
  if (ns) return tunscope(args, { ns, cwd: work })
  // root without `ip netns`: a private network namespace that vanishes with the process
  if (isRoot) return runLocal('unshare', ['--net', '--', process.execPath, TUNSCOPE_BIN, ...args], { cwd: work })
  return tunscope(args, { cwd: work })
}


beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tunscope-badinput-'))
  socket = join(work, 'uart.sock')
  if (isRoot && netnsAvailable) ns = await createNamespace('tsbad')
})

afterEach(async () => {
  // nothing created: no file next to the socket path, no interface besides lo
  expect(readdirSync(work)).toEqual([])
  if (ns) expect(await interfaceNames(ns)).toEqual(['lo'])
})

afterAll(async () => {
  await destroyAll()
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('tunscope bridge refuses bad input', () => {
  // [what, arguments, what is wrong, what to do]
  const cases: Array<[string, () => string[], RegExp, RegExp]> = [
    ['a socket in a missing folder', () => ['--socket', '/nonexistent-dir/x.sock'], /\/nonexistent-dir does not exist/, /create it|existing folder/],
    ['--host-ip 300.1.1.1/24', () => ['--socket', socket, '--host-ip', '300.1.1.1/24'], /--host-ip "300\.1\.1\.1\/24" is not an IPv4 address/, /write it like 192\.168\.100\.1\/24/],
    ['--host-ip without a prefix', () => ['--socket', socket, '--host-ip', '192.168.100.1'], /--host-ip "192\.168\.100\.1" is not .*prefix length/, /write it like 192\.168\.100\.1\/24/],
    ['--device-ip outside the subnet', () => ['--socket', socket, '--device-ip', '10.0.0.2'], /10\.0\.0\.2 is outside 192\.168\.100\.1\/24/, /pick an address in that subnet/],
    ["--device-ip equal to the host's", () => ['--socket', socket, '--device-ip', '192.168.100.1'], /--device-ip 192\.168\.100\.1 is the host's own address/, /give the device another one/],
    ['a multicast --gw-mac', () => ['--socket', socket, '--gw-mac', '01:00:00:00:00:01'], /--gw-mac 01:00:00:00:00:01 is a multicast address/, /use a unicast one/],
    ['--gw-mac zz', () => ['--socket', socket, '--gw-mac', 'zz'], /--gw-mac "zz" is not a MAC address/, /write it like 02:00:00:00:00:01/],
    ['a multicast --device-mac', () => ['--socket', socket, '--device-mac', 'ff:ff:ff:ff:ff:ff'], /--device-mac ff:ff:ff:ff:ff:ff is a multicast address/, /use a unicast one/],
    ['a --tun name over 15 bytes', () => ['--socket', socket, '--tun', 'averyveryverylongname'], /"averyveryverylongname" is not usable/, /use 1 to 15 letters/],
    ['a --tun name with shell characters', () => ['--socket', socket, '--tun', 'tun0;rm'], /"tun0;rm" is not usable/, /use 1 to 15 letters/],
    ['--tcp with port 70000', () => ['--tcp', 'localhost:70000'], /port "70000" is out of range/, /whole number from 1 to 65535/],
    ['--tcp without a port', () => ['--tcp', 'nohostport'], /--tcp "nohostport" is not HOST:PORT/, /write it like localhost:5555/],
    ['two devices given one name', () => ['--socket', `a=${socket}`, '--socket', `a=qemu:${socket}2`], /--socket: the name "a" is given to two devices/, /give each its own/],
    ['one socket given for two devices', () => ['--socket', socket, '--socket', `qemu:${socket}`], /is given for two devices/, /give each device its own/],
    ['33 devices', () => Array.from({ length: 33 }, (_, i) => ['--socket', `${socket}${i}`]).flat(), /33 devices given; one bridge takes at most 32/, /at most 32/],
    ['--listen --tcp without a port', () => ['--listen', '--tcp', 'nohostport'], /--tcp "nohostport" is not HOST:PORT/, /write it like 127\.0\.0\.1:5555/],
    ['--listen --tcp with port 0', () => ['--listen', '--tcp', '127.0.0.1:0'], /port "0" is out of range/, /whole number from 1 to 65535/],
    ['several devices on passt', () => ['--socket', socket, '--tcp', 'localhost:5555', '--user-net', '--user-net-engine', 'passt'], /passt serves one device/, /use --user-net-engine slirp/],
    ['a framing prefix with no path', () => ['--socket', socket, '--socket', 'qemu:'], /--socket "qemu:" names no socket/, /write it like qemu:temp\/qemu-nic\.sock/],
    ['--forward without --user-net', () => ['--socket', socket, '--forward', 'tcp:8080:80'], /--forward forwards a port through the user-mode network; add --user-net/, /reach the device at its address on the TUN/],
    ['--user-net with --tap', () => ['--socket', socket, '--user-net', '--tap'], /--user-net needs no TUN or TAP; drop --tap\./, /drop --tap/],
    ['--user-net with --payload ip', () => ['--socket', socket, '--user-net', '--framing', 'slip', '--payload', 'ip'], /--user-net carries Ethernet frames, and --payload ip carries bare IP packets/, /use --payload ethernet/],
    ['--user-net with a forward that is not one', () => ['--socket', socket, '--user-net', '--forward', 'tcp:80'], /--forward/, /tcp:8080:80|HOSTPORT/],
    ['--user-net-engine without --user-net', () => ['--socket', socket, '--user-net-engine', 'slirp'], /--user-net-engine chooses the user-mode network's engine; add --user-net/, /or drop it/],
    ['--user-net-engine that is no engine', () => ['--socket', socket, '--user-net', '--user-net-engine', 'gvproxy'], /--user-net-engine "gvproxy" is not an engine Tunscope runs/, /choose passt or slirp/],
    ['--user-net with the same host port twice', () => ['--socket', socket, '--user-net', '--forward', 'tcp:8080:80', '--forward', 'tcp:8080:81'], /both take TCP host port 8080/, /give each forward its own host port/],
    ['--max-frame 10', () => ['--socket', socket, '--max-frame', '10'], /--max-frame "10" is out of range/, /whole number from 64 to 65535/],
    ['--mtu 1500 with the default --max-frame', () => ['--socket', socket, '--mtu', '1500'], /--mtu 1500 would make frames longer than --max-frame 1500/, /use at most 1486\./],
    ['--mtu abc', () => ['--socket', socket, '--mtu', 'abc'], /--mtu "abc" is not a number/, /give a whole number from 68 to 65535/],
    ['--baud 1.5', () => ['--socket', socket, '--baud', '1.5'], /--baud "1\.5" is not a whole number/, /give a whole number from 0 to/],
    ['--max-frame empty', () => ['--socket', socket, '--max-frame', ''], /--max-frame "" is not a number/, /give a whole number from 64 to 65535/],
    ['--baud -5', () => ['--socket', socket, '--baud', '-5'], /--baud "-5" is out of range/, /whole number from 0 to/],
    ['--json with --pcap - (both want stdout)', () => ['--socket', socket, '--json', '--pcap', '-'], /--json and --pcap - both want standard output/, /write the capture to a file or drop --json/],
    ['--pcap in a missing folder', () => ['--socket', socket, '--pcap', '/nonexistent-dir/x.pcapng'], /Cannot write the capture to \/nonexistent-dir\/x\.pcapng \(ENOENT\)/, /check that its folder exists/],
    ['a socket path over 107 bytes', () => ['--socket', join(work, 'a'.repeat(108 - work.length - 1))], /longer than the 107 bytes a unix socket allows/, /use a shorter path/],
    // valid until the TUN is opened: the capture file made for it must go again
    ['--tun naming an interface that is not a TUN, with --pcap', () => ['--socket', socket, '--tun', 'lo', '--pcap', join(work, 'c.pcapng')], /lo is an existing interface that is not a TUN\/TAP device/, /choose another name with --tun/]
  ]

  it.each(cases)('%s', async (_what, args, wrong, todo) => {
    const r = await run(['bridge', ...args()])
    expectRefused(r, wrong, todo)
  })

  it('a bridge that fails to start leaves what --pcap named as it was: no new file, an old capture whole, a device still a device', async () => {
    const fail = (pcap: string) => run(['bridge', '--socket', socket, '--tun', 'lo', '--pcap', pcap])
    expectRefused(await fail(join(work, 'new.pcapng')), /not a TUN\/TAP device/, /choose another name/)
    expect(existsSync(join(work, 'new.pcapng'))).toBe(false)
    const old = join(work, 'old.pcapng')
    writeFileSync(old, 'yesterday\'s capture')
    expectRefused(await fail(old), /not a TUN\/TAP device/, /choose another name/)
    expect(readFileSync(old, 'utf8')).toBe('yesterday\'s capture')
    rmSync(old)
    if (!isRoot) return
    // A private null device, so a regression cannot take the machine's /dev/null with it.
    const device = join(work, 'null')
    expect(spawnSync('mknod', ['-m', '666', device, 'c', '1', '3']).status).toBe(0)
    expectRefused(await fail(device), /not a TUN\/TAP device/, /choose another name/)
    expect(statSync(device).isCharacterDevice()).toBe(true)
    rmSync(device)
  })

  it('the over-long socket path really is 108 bytes', () => {
    expect(Buffer.byteLength(join(work, 'a'.repeat(108 - work.length - 1)))).toBe(108)
  })

  it('an unknown option: one line naming it and --help, exit 2, nothing on stdout', async () => {
    const r = await run(['bridge', '--socket', socket, '--bogus'])
    expect(r.stderr).toBe("tunscope: unknown option '--bogus' (run with --help for usage)\n")
    expect(r.stdout).toBe('')
    expect(r.code).toBe(2)
  })

  it('an unknown command: one line naming it, exit 2, nothing on stdout', async () => {
    const r = await run(['frob'])
    expect(r.stderr).toBe("tunscope: unknown command 'frob' (run with --help for usage)\n")
    expect(r.stdout).toBe('')
    expect(r.code).toBe(2)
  })
})

describe('tunscope demo refuses bad input', () => {
  const cases: Array<[string, () => string[], RegExp, RegExp]> = [
    ['a socket in a missing folder', () => ['--socket', '/nonexistent-dir/x.sock'], /\/nonexistent-dir does not exist/, /create it|existing folder/],
    ['--ip 1.2.3', () => ['--socket', socket, '--ip', '1.2.3'], /--ip "1\.2\.3" is not an IPv4 address/, /write it like 192\.168\.100\.2/],
    ['--gateway equal to --ip', () => ['--socket', socket, '--gateway', '192.168.100.2'], /--ip and --gateway are both 192\.168\.100\.2/, /needs an address of its own/],
    ['--baud fast', () => ['--socket', socket, '--baud', 'fast'], /--baud "fast" is not a number/, /whole number from 0 to/],
    ['--fault-every soon', () => ['--socket', socket, '--fault', 'junk', '--fault-every', 'soon'], /--fault-every "soon" is not a number/, /whole number from 1 to 3600/],
    ['--ip 10.0.0.2 with --gateway 10.0.0.1: accepted, so the missing folder is what is reported', () => ['--socket', '/nonexistent-dir/x.sock', '--ip', '10.0.0.2', '--gateway', '10.0.0.1'], /\/nonexistent-dir does not exist/, /create it|existing folder/],
    ['--ip outside the default --gateway\'s subnet', () => ['--socket', socket, '--ip', '10.0.0.2'], /--ip 10\.0\.0\.2 is outside 192\.168\.100\.0\/24, the subnet of the default --gateway 192\.168\.100\.1/, /give --gateway too, .*such as 10\.0\.0\.1/],
    ['an unknown --fault', () => ['--socket', socket, '--fault', 'junk,meltdown'], /--fault "meltdown" is not a fault this device knows/, /choose from junk, badLength, oversize, burst/],
    ['--fault-every 0', () => ['--socket', socket, '--fault', 'junk', '--fault-every', '0'], /--fault-every "0" is out of range/, /whole number from 1 to 3600/]
  ]

  it.each(cases)('%s', async (_what, args, wrong, todo) => {
    expectRefused(await run(['demo', ...args()]), wrong, todo)
  })

  it('a socket path some other program listens on', async () => {
    const other = join(tmpdir(), `tunscope-busy-${process.pid}.sock`)
    const server = net.createServer().listen(other)
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      expectRefused(await runLocal(process.execPath, [TUNSCOPE_BIN, 'demo', '--socket', other], { cwd: work }), /Another program is already listening on .*busy/, /stop it or choose another --socket path/)
    } finally {
      server.close()
    }
  })
})

// Every argument is checked before anything about the machine: a bad flag is
// reported as such even when the default socket's folder (temp/) is missing too.
describe('argument errors come before the environment', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['bridge: a 20-character --tun', ['bridge', '--tun', 'abcdefghijklmnopqrst'], /"abcdefghijklmnopqrst" is not usable/],
    ['bridge: --baud fast', ['bridge', '--baud', 'fast'], /--baud "fast" is not a number/],
    ['bridge: a multicast --device-mac', ['bridge', '--device-mac', 'ff:ff:ff:ff:ff:ff'], /--device-mac ff:ff:ff:ff:ff:ff is a multicast address/],
    ['bridge: --gw-mac zz with --listen', ['bridge', '--listen', '--gw-mac', 'zz'], /--gw-mac "zz" is not a MAC address/],
    ['bridge: --mtu abc with a socket in a missing folder', ['bridge', '--socket', '/nonexistent-dir/x.sock', '--mtu', 'abc'], /--mtu "abc" is not a number/],
    ['bridge: --json with --pcap -', ['bridge', '--json', '--pcap', '-'], /--json and --pcap - both want standard output/],
    ['demo: --baud fast', ['demo', '--baud', 'fast'], /--baud "fast" is not a number/],
    ['demo: --ip 1.2.3', ['demo', '--ip', '1.2.3'], /--ip "1\.2\.3" is not an IPv4 address/],
    ['demo: an unknown --fault', ['demo', '--fault', 'meltdown'], /--fault "meltdown" is not a fault/],
    ['demo: --ip with --dhcp', ['demo', '--ip', '192.168.100.5', '--dhcp'], /^tunscope: --ip and --dhcp both say where the address comes from; give one /]
  ]
  it.each(cases)('%s (no temp/ folder here)', async (_what, args, wrong) => {
    expectRefused(await run(args), wrong)
  })
})

describe('tunscope tun refuses bad input', () => {
  it('tun create without --user: one line naming the option, exit 2', async () => {
    const r = await run(['tun', 'create', '--name', 'tsx0'])
    expect(r.stderr).toBe("tunscope: required option '--user <login>' not specified (run with --help for usage)\n")
    expect(r.stdout).toBe('')
    expect(r.code).toBe(2)
  })

  it('tun create for a user that does not exist, root or not (arguments are checked before privileges)', async () => {
    const r = await run(['tun', 'create', '--name', 'tsx0', '--user', 'nosuchuser123'])
    expectRefused(r, /There is no user "nosuchuser123" on this machine/, /give the login of the user who will run the bridge/)
  })

  // What the helper, run as root for someone else, must not do: route more than a small ordinary subnet into a TUN, or hand one to root.
  const hostile: Array<[string, string[], RegExp]> = [
    ['half the IPv4 space', ['--user', 'nobody', '--host-ip', '128.0.0.1/1'], /^tunscope: --host-ip 128\.0\.0\.1\/1 would route 2147483648 addresses into the TUN; use a prefix length from 16 to 30/],
    ['a /15', ['--user', 'nobody', '--host-ip', '10.0.0.1/15'], /^tunscope: --host-ip 10\.0\.0\.1\/15 would route 131072 addresses into the TUN/],
    ['a loopback address', ['--user', 'nobody', '--host-ip', '127.0.0.2/8'], /^tunscope: --host-ip 127\.0\.0\.2\/8 is a loopback address/],
    ['an address in 0/8', ['--user', 'nobody', '--host-ip', '0.1.2.3/24'], /^tunscope: --host-ip 0\.1\.2\.3\/24 is in 0\.0\.0\.0\/8/],
    ['a multicast address', ['--user', 'nobody', '--host-ip', '224.0.0.251/24'], /^tunscope: --host-ip 224\.0\.0\.251\/24 is a multicast address/],
    ['an address in 240/4', ['--user', 'nobody', '--host-ip', '250.1.1.1/24'], /^tunscope: --host-ip 250\.1\.1\.1\/24 is in the reserved block 240\.0\.0\.0\/4/],
    ['the limited broadcast address', ['--user', 'nobody', '--host-ip', '255.255.255.255/30'], /^tunscope: --host-ip 255\.255\.255\.255\/30 is the limited broadcast address/],
    ['root as the owner', ['--user', 'root'], /^tunscope: --user root is the superuser \(uid 0\); give the login of the ordinary user who will run the bridge\.$/],
    ['two --user options, root last', ['--user', 'nobody', '--user', 'root'], /^tunscope: --user was given more than once; give each option once \(run with --help for usage\)$/],
    ['two --user options, root first', ['--user', 'root', '--user', 'nobody'], /^tunscope: --user was given more than once/],
    ['the same --user twice', ['--user=nobody', '--user=nobody'], /^tunscope: --user was given more than once/],
    ['two --name options', ['--user', 'nobody', '--name', 'tsy0'], /^tunscope: --name was given more than once/],
    ['--tap twice', ['--user', 'nobody', '--tap', '--tap'], /^tunscope: --tap was given more than once/],
    ['two --host-ip options', ['--user', 'nobody', '--host-ip', '192.168.100.1/24', '--host-ip', '10.0.0.1/24'], /^tunscope: --host-ip was given more than once/]
  ]
  it.each(hostile)('tun create with %s: exit 2, one sentence, root or not, nothing made', async (_what, args, refusal) => {
    expectRefused(await run(['tun', 'create', '--name', 'tsx0', ...args]), refusal)
  })

  it('tun delete with --name twice: exit 2, one sentence', async () => {
    expectRefused(await run(['tun', 'delete', '--name', 'tsx0', '--name', 'lo']), /^tunscope: --name was given more than once/)
  })

  it('tun create with a --user that is not a login name', async () => {
    expectRefused(await run(['tun', 'create', '--name', 'tsx0', '--user', 'a b;c']), /--user "a b;c" is not a login name/)
  })

  it('tun create with a bad --name, --host-ip or --mtu', async () => {
    expectRefused(await run(['tun', 'create', '--name', 'tun0;rm', '--user', 'nobody']), /"tun0;rm" is not usable/, /use 1 to 15/)
    expectRefused(await run(['tun', 'create', '--name', 'tsx0', '--user', 'nobody', '--host-ip', '192.168.100.1']), /--host-ip "192\.168\.100\.1"/, /write it like/)
    expectRefused(await run(['tun', 'create', '--name', 'tsx0', '--user', 'nobody', '--mtu', '10']), /--mtu "10" is out of range/, /from 68 to 65535/)
  })

  it('tun delete with a bad --name', async () => {
    expectRefused(await run(['tun', 'delete', '--name', 'averyveryverylongname']), /"averyveryverylongname" is not usable/)
  })
})

describe('tunscope --help and --version', () => {
  it('--version prints the version from package.json', async () => {
    for (const flag of ['--version', '-V', '-v']) {
      const r = await run([flag])
      expect(r.code).toBe(0)
      expect(r.stdout).toBe(`${PACKAGE_VERSION}\n`)
      expect(r.stderr).toBe('')
    }
  })

  const helps: Array<[string[], string, string[]]> = [
    [[], 'Usage: tunscope [options] [command]', ['--version', '--help', 'bridge', 'demo', 'serve', 'tun']],
    [['demo'], 'Usage: tunscope demo [options]', ['--socket <path>', '--baud <rate>', '--ip <address>', '--gateway <address>', '--fault <kinds>', '--fault-every <seconds>', '--dhcp', '--help']],
    [['bridge'], 'Usage: tunscope bridge [options]', ['--socket <path>', '--tcp <host:port>', '--listen', '--tun <name>', '--tap', '--host-ip <cidr>', '--device-ip <address>', '--max-frame <bytes>', '--mtu <bytes>', '--gw-mac <mac>', '--device-mac <mac>', '--baud <rate>', '--dhcp', '--dhcp-lease <seconds>', '--dns <address>', '--pcap <file>', '--json', '--quiet', '--help']],
    [['serve'], 'Usage: tunscope serve [options]', ['--socket <path>', '--device-ip <address>', '--dhcp', '--dhcp-lease <seconds>', '--dns <address>', '--port <number>', '--start', '--demo', '--help']],
    [['tun'], 'Usage: tunscope tun [options] [command]', ['create', 'delete', '--help']],
    [['tun', 'create'], 'Usage: tunscope tun create [options]', ['--user <login>', '--name <name>', '--tap', '--host-ip <cidr>', '--mtu <bytes>', '--help']],
    [['tun', 'delete'], 'Usage: tunscope tun delete [options]', ['--name <name>', '--help']]
  ]
  it.each(helps)('%j --help exits 0 and lists its options', async (command, usage, options) => {
    const r = await run([...command, '--help'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout.startsWith(`${usage}\n`)).toBe(true)
    for (const option of options) expect(r.stdout).toContain(option)
  })

  // No command is a usage error: the help goes to stdout (where --help puts it, so `| less` works), and exit 2 as for any other.
  it.each([[[], 'Usage: tunscope [options] [command]'], [['tun'], 'Usage: tunscope tun [options] [command]']])('%j with no command prints its help on stdout and exits 2', async (command, usage) => {
    const r = await run(command)
    expect(r.stderr).toBe('')
    expect(r.stdout.startsWith(`${usage}\n`)).toBe(true)
    expect(r.code).toBe(2)
  })

  it('the help says which options are required and that -v works too', async () => {
    const create = await run(['tun', 'create', '--help'])
    expect(create.stdout).toMatch(/--user <login> +required: /)
    const top = await run(['--help'])
    expect(top.stdout).toMatch(/-V, --version +print the version \(-v works too\)/)
  })

  // [command, lines its help shows under "Examples:"]
  const examples: Array<[string[], string[]]> = [
    [[], ['sudo tunscope tun create --user "$USER"', 'tunscope bridge', 'tunscope serve --demo --start']],
    [['bridge'], ['tunscope bridge\n', 'tunscope bridge --tcp localhost:5555', 'tunscope bridge --listen', 'tunscope bridge --framing qemu --socket temp/qemu-nic.sock', 'tunscope bridge --framing qemu --socket temp/qemu-nic.sock --dhcp --dns 192.168.100.1', 'tunscope bridge --serial /dev/ttyUSB0 --baud 115200', 'mkdir -p temp && tunscope demo &', 'tunscope bridge --pcap - | wireshark -k -i -', 'sudo tunscope tun create --user "$USER"']],
    [['serve'], ['tunscope serve --demo --start', 'tunscope serve --tcp localhost:5555 --start --port 0']],
    [['demo'], ['mkdir -p temp && tunscope demo &', 'tunscope bridge', 'tunscope demo --baud 0 --fault junk,burst --fault-every 5']],
    [['tun', 'create'], ['sudo tunscope tun create --user "$USER"', 'sudo tunscope tun create --user "$USER" --name tap0 --tap']],
    [['tun', 'delete'], ['sudo tunscope tun delete --name tun0']]
  ]
  it.each(examples)('%j --help ends with examples', async (command, lines) => {
    const r = await run([...command, '--help'])
    const after = r.stdout.split('\nExamples:\n')[1]
    expect(after, r.stdout).toBeDefined()
    for (const line of lines) expect(after).toContain(`  ${line}`)
  })
})
