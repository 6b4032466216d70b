#!/usr/bin/env node
// npm run soak: `tunscope demo` behind `tunscope bridge` under continuous ping
// and an HTTP loop (curl of / and /bytes/20000, back to back) for a while,
// sampling both processes' RSS and CPU. Everything runs in a network
// namespace made for the run and deleted at the end, also on Ctrl-C, SIGTERM
// or an error. Not part of npm test: it runs for minutes.
//
//   node bench/soak.mjs [--minutes 30] [--interval 10] [--baud 115200] [--out samples.csv|samples.json]
//
// SOAK_MINUTES, SOAK_INTERVAL and SOAK_BAUD set the same from the environment.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'

const DEVICE_IP = '192.168.100.2'
const HTTP_PATHS = [{ path: '/', size: null }, { path: '/bytes/20000', size: 20000 }]
const PING_EVERY_S = '0.2'
const CURL_MAX_TIME_S = '30'
/** The device reads nothing for its first second after start. */
const DEVICE_QUIET_MS = 1200
const STARTUP_TIMEOUT_MS = 20_000
const STOP_GRACE_MS = 3000
/** Ping requests this recent when the run ends are not counted as lost. */
const UNANSWERED_GRACE_S = 2
const OUTPUT_KEPT = 64 * 1024

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const tunscope = join(root, 'bin', 'tunscope.mjs')
const options = readOptions()
const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

if (process.getuid?.() !== 0) {
  console.error('npm run soak needs root: it makes a network namespace and a TUN device. Run it with sudo.')
  process.exit(1)
}

const ns = `tssoak-${process.pid}`
const work = mkdtempSync(join(tmpdir(), 'tunscope-soak-'))
const socket = join(work, 'uart.sock')
const children = new Set()
let cleanedUp = false

/** Kills what the run started and deletes the namespace and the work folder; safe to call twice and from 'exit' (synchronous). */
function cleanup() {
  if (cleanedUp) return
  cleanedUp = true
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split(/\s+/).filter(Boolean) ?? []
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL')
    } catch {} // already gone
  }
  spawnSync('ip', ['netns', 'del', ns])
  rmSync(work, { recursive: true, force: true })
}
process.on('exit', cleanup)

let stopping = false
let stopEarly = () => {}
const stopRequested = new Promise((resolve) => (stopEarly = resolve))
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) process.exit(130) // a second signal: give up on the summary ('exit' still cleans up)
    stopping = true
    console.error(`${signal}: stopping early, summary of what was sampled follows`)
    stopEarly()
  })
}

try {
  await soak()
} catch (error) {
  console.error(`soak failed: ${error.message}`)
  process.exitCode = 1
} finally {
  cleanup()
  process.exit() // the traffic loops would otherwise go on after a failure
}

async function soak() {
  run('ip', ['netns', 'add', ns])
  run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up'])
  const demo = inNamespace(process.execPath, [tunscope, 'demo', '--socket', socket, '--baud', String(options.baud)])
  keepOutput(demo)
  await unlessStopped(outputMatching(demo, 'stderr', /waiting for a bridge/, 'the demo device to serve its socket'))
  const bridge = inNamespace(process.execPath, [tunscope, 'bridge', '--json', '--socket', socket, '--tun', 'tun0', '--baud', String(options.baud || 115200)])
  keepOutput(bridge)
  await unlessStopped(outputMatching(bridge, 'stdout', /"status":"connected".*"tun":\{/, 'the bridge to connect and open its TUN'))
  await unlessStopped(sleep(DEVICE_QUIET_MS))
  const watched = [
    { name: 'bridge', pid: await nodePid(bridge), child: bridge },
    { name: 'demo', pid: await nodePid(demo), child: demo }
  ]
  const died = Promise.race(watched.map(({ name, child }) => exited(child).then((code) => Promise.reject(new Error(`tunscope ${name} exited (${code}) during the soak`)))))
  died.catch(() => {}) // raced below; unobserved otherwise

  console.error(`soak: ${options.minutes} min at ${options.baud === 0 ? 'unpaced speed' : `${options.baud} baud`}, a sample every ${options.interval} s; namespace ${ns}; bridge pid ${watched[0].pid}, demo pid ${watched[1].pid}`)
  const ping = startPing()
  const http = startHttpLoop()
  const samples = []
  let previous = watched.map(({ pid }) => readProcess(pid))
  const startedAt = Date.now()
  samples.push(sample(0, previous, previous, options.interval, ping, http))
  const endAt = startedAt + options.minutes * 60_000
  while (Date.now() < endAt && !stopping) {
    const wait = Math.min(options.interval * 1000, endAt - Date.now())
    const tick = Date.now()
    await Promise.race([sleep(wait), stopRequested, died])
    const now = watched.map(({ pid }) => readProcess(pid))
    samples.push(sample((Date.now() - startedAt) / 1000, previous, now, (Date.now() - tick) / 1000, ping, http))
    previous = now
  }
  await http.stop()
  const pingTotals = await ping.stop()
  const demoStats = await stopDemo(demo)
  printSummary(samples, http, pingTotals, demoStats)
  if (options.out) writeSamples(options.out, samples)
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: process.env.SOAK_MINUTES ?? '30' },
      interval: { type: 'string', default: process.env.SOAK_INTERVAL ?? '10' },
      baud: { type: 'string', default: process.env.SOAK_BAUD ?? '115200' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) {
    console.log('usage: node bench/soak.mjs [--minutes N (30)] [--interval SECONDS (10)] [--baud RATE (115200; 0 = unpaced)] [--out FILE.csv|FILE.json]')
    process.exit(0)
  }
  const number = (name, min) => {
    const n = Number(values[name])
    if (!Number.isFinite(n) || n < min) {
      console.error(`--${name} must be a number of at least ${min}, not "${values[name]}"`)
      process.exit(2)
    }
    return n
  }
  return { minutes: number('minutes', 0.1), interval: number('interval', 1), baud: number('baud', 0), out: values.out }
}

function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.error?.message ?? result.stderr.trim()}`)
}

/**
 * Starts `command` in the namespace (ip execs it, so the pid becomes the
 * command's own once it has), in a process group of its own so that Ctrl-C
 * reaches only this script, which then stops everything in order.
 */
function inNamespace(command, args) {
  const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  children.add(child)
  return child
}

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode)
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)))
}

/** `promise`, or an error if a signal asks to stop first (while starting up there is nothing to summarise). */
function unlessStopped(promise) {
  return Promise.race([promise, stopRequested.then(() => Promise.reject(new Error('stopped before the soak began')))])
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Keeps the tail of the child's output on child.output (the bridge prints a line a second for the whole run). */
function keepOutput(child) {
  child.output = { stdout: '', stderr: '' }
  for (const stream of ['stdout', 'stderr']) {
    child[stream].setEncoding('utf8').on('data', (chunk) => (child.output[stream] = (child.output[stream] + chunk).slice(-OUTPUT_KEPT)))
  }
}

/** Resolves when the child's `stream` has printed something matching `pattern`. */
function outputMatching(child, stream, pattern, what) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pattern.test(child.output[stream])) return
      clearTimeout(timer)
      child[stream].off('data', check)
      resolve()
    }
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${child.output.stderr.trim()}`)), STARTUP_TIMEOUT_MS)
    child[stream].on('data', check)
    child.once('exit', (code) => reject(new Error(`${what}: it exited (${code}): ${child.output.stderr.trim()}`)))
  })
}

/** The pid of the node process running tunscope: the child itself once `ip netns exec` has exec'd, else a child of it. */
async function nodePid(child) {
  const isTunscope = (pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(tunscope)
    } catch {
      return false
    }
  }
  for (let tries = 0; tries < 50; tries++) {
    if (isTunscope(child.pid)) return child.pid
    const inner = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').split(/\s+/).filter(Boolean).find(isTunscope)
    if (inner) return Number(inner)
    await sleep(100)
  }
  throw new Error(`could not find the node process under pid ${child.pid}`)
}

/** RSS in kB and CPU time in clock ticks (user + system) of `pid`. */
function readProcess(pid) {
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
  // Fields after the parenthesised command name: state is the 3rd field, utime the 14th, stime the 15th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')
  return { rssKb, cpuTicks: Number(fields[11]) + Number(fields[12]) }
}

function sample(seconds, before, now, intervalSeconds, ping, http) {
  const cpuPercent = (i) => (intervalSeconds > 0 ? ((now[i].cpuTicks - before[i].cpuTicks) / clockTicks / intervalSeconds) * 100 : 0)
  const row = {
    seconds: Math.round(seconds),
    bridgeRssMb: now[0].rssKb / 1024,
    bridgeCpuPercent: cpuPercent(0),
    demoRssMb: now[1].rssKb / 1024,
    demoCpuPercent: cpuPercent(1),
    curlOk: http.ok,
    curlFailed: http.failed,
    pingSent: ping.sent,
    pingReceived: ping.received
  }
  console.error(`${String(row.seconds).padStart(6)} s  bridge ${row.bridgeRssMb.toFixed(1)} MB ${row.bridgeCpuPercent.toFixed(1)} %  demo ${row.demoRssMb.toFixed(1)} MB ${row.demoCpuPercent.toFixed(1)} %  curl ${row.curlOk} ok ${row.curlFailed} failed  ping ${row.pingReceived}/${row.pingSent}`)
  return row
}

/**
 * Continuous ping: replies and sequence numbers counted as they come (-O
 * reports the unanswered); at stop(), ping's own count of requests sent and
 * the requests never answered, those of the last UNANSWERED_GRACE_S apart
 * (still on their way: the UART queues replies behind HTTP).
 */
function startPing() {
  const child = inNamespace('ping', ['-n', '-O', '-i', PING_EVERY_S, DEVICE_IP])
  const answered = new Set()
  const state = { sent: 0, received: 0, stop }
  let transmitted = null
  let partial = ''
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop()
    for (const line of lines) {
      const seq = Number(/icmp_seq=(\d+)/.exec(line)?.[1] ?? 0)
      state.sent = Math.max(state.sent, seq)
      if (/bytes from/.test(line) && !answered.has(seq)) {
        answered.add(seq)
        state.received++
      }
      transmitted = Number(/(\d+) packets transmitted/.exec(line)?.[1] ?? transmitted)
    }
  })
  async function stop() {
    const done = exited(child)
    child.kill('SIGINT')
    await done
    const sent = transmitted ?? state.sent
    const settled = sent - Math.round(UNANSWERED_GRACE_S / Number(PING_EVERY_S))
    const lost = []
    for (let seq = 1; seq <= settled; seq++) if (!answered.has(seq)) lost.push(seq)
    return { sent, received: state.received, lost, onTheirWay: sent - state.received - lost.length }
  }
  return state
}

/** curl of each path in turn, back to back, until stop() (which waits for the transfer under way); a transfer is ok when it answers 200 with the whole body. */
function startHttpLoop() {
  let stopped = false
  const state = { ok: 0, failed: 0, failures: new Map(), stop: () => ((stopped = true), loop) }
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const { path, size } = HTTP_PATHS[i % HTTP_PATHS.length]
      const result = await curl(path)
      const [status, bytes] = result.stdout.split(' ').map(Number)
      if (status === 200 && (size === null || bytes === size)) state.ok++
      else {
        state.failed++
        const why = result.stderr.trim().replace(/ after \d+ ms/, '') || `HTTP ${status}, ${bytes} bytes`
        state.failures.set(why, (state.failures.get(why) ?? 0) + 1)
      }
    }
  })()
  return state
}

function curl(path) {
  const child = inNamespace('curl', ['-sS', '--max-time', CURL_MAX_TIME_S, '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${DEVICE_IP}${path}`])
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
  return exited(child).then(() => {
    children.delete(child)
    return { stdout, stderr }
  })
}

/** SIGTERM; the demo prints its final counters as it stops. */
async function stopDemo(demo) {
  const done = exited(demo)
  demo.kill('SIGTERM')
  await Promise.race([done, sleep(STOP_GRACE_MS)])
  const line = /demo device stopped: (\{.*\})/.exec(demo.output.stderr)
  return line ? JSON.parse(line[1]) : null
}

function printSummary(samples, http, ping, demoStats) {
  const first = samples[0]
  const last = samples.at(-1)
  const measured = samples.slice(1)
  const rss = (key) => `${first[key].toFixed(1)} / ${last[key].toFixed(1)} / ${Math.max(...samples.map((s) => s[key])).toFixed(1)}`
  const cpu = (key) => (measured.length ? measured.reduce((sum, s) => sum + s[key], 0) / measured.length : 0).toFixed(1)
  console.log(`\nSoak: ${(last.seconds / 60).toFixed(1)} min at ${options.baud === 0 ? 'unpaced speed' : `${options.baud} baud`}, ${samples.length} samples\n`)
  console.log('| process | RSS start / end / max (MB) | CPU, average (% of a core) |')
  console.log('|---|---:|---:|')
  console.log(`| tunscope bridge | ${rss('bridgeRssMb')} | ${cpu('bridgeCpuPercent')} |`)
  console.log(`| tunscope demo | ${rss('demoRssMb')} | ${cpu('demoCpuPercent')} |`)
  const lostSeqs = ping.lost.length ? ` (icmp_seq ${ping.lost.slice(0, 10).join(', ')}${ping.lost.length > 10 ? ', …' : ''})` : ''
  console.log(`\ncurl: ${http.ok} ok, ${http.failed} failed; ping: ${ping.sent} sent, ${ping.received} received, ${ping.lost.length} lost${lostSeqs}, ${ping.onTheirWay} on their way at the end`)
  for (const [why, count] of http.failures) console.log(`  ${count} × ${why}`)
  if (demoStats) console.log(`demo at the end: UART ${demoStats.uart.framesOut} frames out, ${demoStats.uart.txDropped} dropped (transmit buffer full); TCP ${JSON.stringify(demoStats.tcp)}`)
}

function writeSamples(path, samples) {
  if (path.endsWith('.json')) writeFileSync(path, `${JSON.stringify({ options, samples }, null, 2)}\n`)
  else {
    const columns = Object.keys(samples[0])
    const rows = samples.map((s) => columns.map((c) => (/Mb$|Percent$/.test(c) ? s[c].toFixed(2) : s[c])).join(','))
    writeFileSync(path, `${[columns.join(','), ...rows].join('\n')}\n`)
  }
  console.log(`samples written to ${path}`)
}
