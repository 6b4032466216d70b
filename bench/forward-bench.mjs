#!/usr/bin/env node
// npm run bench, last part: TCP through the user-mode network's forwarded port, with each engine
// (passt, and QEMU's libslirp where QEMU is installed), beside the same TCP over the TUN path, for
// each of the tests' two firmware stand-ins: test/fixtures/uart_device.py (the ESP32 framing, a
// Linux TCP stack behind a TAP in its own namespace) and test/fixtures/lwip/lwip_device.c (lwIP,
// the firmware's own stack; built here with gcc and Debian's liblwip-dev, left out without them).
// Both run at full speed, no baud pacing: what is measured is the host side. The bridge runs in a
// namespace with a veth to a second one playing the internet (passt needs a default route). Runs
// alternate, TUN then each engine, for BENCH_ROUNDS rounds; each device's table shows medians and
// the median of each round's engine ÷ TUN ratio.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const bytes = Number(process.env.BENCH_FORWARD_BYTES ?? 4 * 1024 * 1024)
const cli = join(root, 'bin', 'tunscope.mjs')
const netTool = join(root, 'test', 'fixtures', 'net_tool.mjs')
const linuxDevice = join(root, 'test', 'fixtures', 'uart_device.py')
const lwipSource = join(root, 'test', 'fixtures', 'lwip', 'lwip_device.c')

if (process.getuid?.() !== 0) {
  console.error('The forwarded-port bench needs root: it makes network namespaces. Run it with sudo.')
  process.exit(1)
}
if (spawnSync('passt', ['--version']).error) {
  console.error("The forwarded-port bench needs passt (Debian's passt package); skipped.")
  process.exit(0)
}

const id = process.pid
const [hostNs, netNs, devNs] = [`tsfb${id}h`, `tsfb${id}n`, `tsfb${id}d`]
const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] })
const inNs = (ns, cmd, args, options = {}) => spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options })
const work = mkdtempSync(join(tmpdir(), 'tunscope-fbench-'))
const children = []
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function cleanup() {
  for (const c of children) c.kill('SIGKILL')
  for (const ns of [hostNs, netNs, devNs]) spawnSync('ip', ['netns', 'del', ns])
  rmSync(work, { recursive: true, force: true })
}
process.on('exit', cleanup)
process.on('SIGINT', () => process.exit(130))

for (const ns of [hostNs, netNs, devNs]) {
  ip('netns', 'add', ns)
  ip('-n', ns, 'link', 'set', 'lo', 'up')
}
ip('link', 'add', 'fb0', 'netns', hostNs, 'type', 'veth', 'peer', 'name', 'fb1', 'netns', netNs)
ip('-n', hostNs, 'addr', 'add', '10.78.0.2/24', 'dev', 'fb0')
ip('-n', netNs, 'addr', 'add', '10.78.0.1/24', 'dev', 'fb1')
ip('-n', hostNs, 'link', 'set', 'fb0', 'up')
ip('-n', netNs, 'link', 'set', 'fb1', 'up')
ip('-n', hostNs, 'route', 'add', 'default', 'via', '10.78.0.1')

/** Resolves once `child` printed `text` on stdout or stderr. */
const printed = (child, text) => new Promise((resolve, reject) => {
  let seen = ''
  const look = (b) => (seen += b.toString()).includes(text) && resolve()
  child.stdout.on('data', look)
  child.stderr.on('data', look)
  child.once('exit', (code) => reject(new Error(`exited (${code}) before "${text}": ${seen}`)))
})

/** Waits for a device's ready file. */
async function ready(file) {
  for (const deadline = Date.now() + 20_000; !existsSync(file); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`no ${file} within 20 s`)
  }
}

/** The devices measured: where each listens, and its HTTP and echo ports. */
const devices = []
{
  const socket = join(work, 'linux.sock')
  children.push(inNs(devNs, 'python3', [linuxDevice, '--socket', socket, '--ready-file', `${socket}.ready`]))
  await ready(`${socket}.ready`)
  // The device answers an HTTP GET with the bytes (device → host) rather than sending on connect:
  // Debian 12's passt does not finish a forwarded connection's handshake until the host sends.
  const source = inNs(devNs, process.execPath, [netTool, 'http-server', '5001'])
  const echo = inNs(devNs, process.execPath, [netTool, 'tcp-echo-server', '5007'])
  children.push(source, echo)
  await Promise.all([printed(source, 'ready'), printed(echo, 'ready')])
  devices.push({ title: 'test/fixtures/uart_device.py (Linux TCP)', socket, read: '5001', echo: '5007' })
}
{
  const binary = join(work, 'lwip_device')
  const cc = spawnSync('gcc', ['-O2', '-I/usr/include/lwip', '-o', binary, lwipSource, '-llwip', '-lpthread'], { encoding: 'utf8' })
  if (cc.error || cc.status !== 0) {
    console.error(`The lwIP device cannot be built (apt-get install gcc liblwip-dev): ${cc.error?.message ?? cc.stderr.trim().split('\n')[0]}; its rows are left out.`)
  } else {
    const socket = join(work, 'lwip.sock')
    children.push(spawn(binary, ['--socket', socket, '--ready-file', `${socket}.ready`], { stdio: 'ignore' }))
    await ready(`${socket}.ready`)
    devices.push({ title: 'test/fixtures/lwip/lwip_device.c (lwIP)', socket, read: '80', echo: '7' })
  }
}

const hasQemu = !spawnSync('qemu-system-x86_64', ['--version']).error
if (!hasQemu) console.error("No QEMU (Debian's qemu-system-x86): the libslirp rows are left out.")
/** How each device is reached: over the TUN, or through each engine's forwarded ports 9001 and 9007. */
function modesFor(device) {
  const forwarded = { read: ['127.0.0.1', '9001'], echo: ['127.0.0.1', '9007'] }
  const userNet = (engine) => ['--user-net', '--user-net-engine', engine, '--forward', `tcp:9001:${device.read}`, '--forward', `tcp:9007:${device.echo}`]
  const modes = {
    tun: { title: 'TUN (192.168.100.2)', args: ['--tun', 'tun0'], read: ['192.168.100.2', device.read], echo: ['192.168.100.2', device.echo] },
    passt: { title: 'user-mode network, passt (127.0.0.1:900x)', args: userNet('passt'), ...forwarded }
  }
  if (hasQemu) modes.slirp = { title: "user-mode network, QEMU's libslirp (127.0.0.1:900x)", args: userNet('slirp'), ...forwarded }
  return modes
}

/** Seconds one transfer took in the host namespace (the client's start-up included, the same both ways). */
function timed(command, args, ok) {
  const started = performance.now()
  const run = spawnSync('ip', ['netns', 'exec', hostNs, command, ...args], { encoding: 'utf8', timeout: 120_000 })
  const seconds = (performance.now() - started) / 1000
  if (!ok(run.stdout)) throw new Error(`${command} ${args.join(' ')} failed: ${run.stdout} ${run.stderr}`)
  return seconds
}
const fetched = ([host, port]) => timed('curl', ['-sS', '--max-time', '100', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${host}:${port}/bytes/${bytes}`], (out) => out === `200 ${bytes}`)
const echoed = (to) => timed(process.execPath, [netTool, 'tcp-echo-client', ...to, String(bytes)], (out) => out.includes('"ok":true'))

/** Waits until a small echo goes through (at most 20 s). */
async function reachable(to) {
  for (const deadline = Date.now() + 20_000; ; await sleep(250)) {
    const run = spawnSync('ip', ['netns', 'exec', hostNs, process.execPath, netTool, 'tcp-echo-client', ...to, '1000'], { encoding: 'utf8', timeout: 10_000 })
    if (run.stdout.includes('"ok":true')) return
    if (Date.now() > deadline) throw new Error(`the device is not reachable at ${to.join(':')}: ${run.stdout} ${run.stderr}`)
  }
}

const done = (xs) => xs.filter((x) => !Number.isNaN(x))
const stalled = (xs) => (xs.length - done(xs).length ? `, ${xs.length - done(xs).length} of ${xs.length} stalled` : '')

const median = (all) => {
  const s = done(all).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const mbps = (bytesPerSecond) => (Number.isNaN(bytesPerSecond) ? 'stalled' : ((bytesPerSecond * 8) / 1e6).toFixed(1))
const spread = (xs) =>
  done(xs).length === 0 ? `— (${xs.length} of ${xs.length} stalled)` : `${median(xs).toFixed(2)} (${Math.min(...done(xs)).toFixed(2)}–${Math.max(...done(xs)).toFixed(2)}${stalled(xs)})`

const tables = []
for (const device of devices) {
  const modes = modesFor(device)
  const engines = Object.keys(modes).filter((name) => name !== 'tun')
  const samples = Object.fromEntries(Object.keys(modes).map((name) => [name, { read: [], echo: [] }]))
  const ratios = Object.fromEntries(engines.map((name) => [name, { read: [], echo: [] }]))
  for (let round = 1; round <= rounds; round++) {
    process.stderr.write(`forwarded-port bench, ${device.title}: round ${round}/${rounds}\n`)
    const rates = {}
    for (const [name, mode] of Object.entries(modes)) {
      const bridge = inNs(hostNs, process.execPath, [cli, 'bridge', '--quiet', '--socket', device.socket, ...mode.args])
      children.push(bridge)
      await reachable(mode.echo) // the TUN (or the engine) up and the device's MAC learned
      // A transfer that stalls is counted, not fatal: the table says how many did.
      const rate = (kind, measure) => {
        try {
          return measure()
        } catch (error) {
          process.stderr.write(`${name} ${kind}: ${error.message.split('\n')[0]}\n`)
          return NaN
        }
      }
      const read = rate('read', () => bytes / fetched(mode.read))
      const echo = rate('echo', () => (2 * bytes) / echoed(mode.echo))
      samples[name].read.push(read)
      samples[name].echo.push(echo)
      rates[name] = { read, echo }
      bridge.kill('SIGINT')
      await new Promise((r) => bridge.once('exit', r))
    }
    for (const name of engines) for (const kind of ['read', 'echo']) ratios[name][kind].push(rates[name][kind] / rates.tun[kind])
  }
  const lines = [
    `The device: ${device.title}`,
    '',
    '| TCP through | HTTP GET, device → host (Mbit/s) | × TUN | echo, both ways (Mbit/s) | × TUN |',
    '|---|---:|---:|---:|---:|',
    `| ${modes.tun.title} | ${mbps(median(samples.tun.read))}${stalled(samples.tun.read)} | 1.00 | ${mbps(median(samples.tun.echo))}${stalled(samples.tun.echo)} | 1.00 |`,
    ...engines.map((name) => `| ${modes[name].title} | ${mbps(median(samples[name].read))} | ${spread(ratios[name].read)} | ${mbps(median(samples[name].echo))} | ${spread(ratios[name].echo)} |`)
  ]
  tables.push(lines.join('\n'))
}
console.log(`\n${rounds} rounds, ${bytes} bytes a transfer; Mbit/s are medians; "× TUN" is the median of each round's ratio (min–max).\n`)
console.log(tables.join('\n\n'))
console.log(`\nThe devices run at full speed, with no baud pacing; for scale, a 115 200-baud UART carries 0.09 Mbit/s each way.`)
process.exit(0) // the servers' pipes would keep the loop alive; 'exit' removes them and the namespaces
