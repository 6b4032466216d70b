#!/usr/bin/env node
// npm run bench:ui: the served inspector under a flood. In a private network
// namespace the reference pump plays QEMU and writes 64-byte UDP packets as
// fast as the bridge takes them (well over 100 000 frames/s) through
// `tunscope serve --start`, while Chromium shows the page. A 10 s DevTools
// trace gives the renderer's longest main-thread tasks; the JS heap is read
// at the start and the end; once the pump stops, the page's frame counter is
// compared with what the pump says it sent.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { chromium } from 'playwright-core'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const benchDir = resolve(process.env.TUNSCOPE_BENCH_DIR ?? join(root, '..', 'shared', 'bench'))
const chromiumPath = process.env.TUNSCOPE_CHROMIUM ?? '/usr/bin/chromium'
const TRACE_SECONDS = 10
const PUMP_SECONDS = TRACE_SECONDS + 6
const LONG_TASK_MS = 100

if (process.getuid?.() !== 0) {
  console.error('npm run bench:ui needs root: it makes a network namespace and a TUN device. Run it with sudo.')
  process.exit(1)
}
if (!existsSync(join(benchDir, 'pump.c'))) {
  console.error(`The reference pump (pump.c) is not at ${benchDir}; set TUNSCOPE_BENCH_DIR to its folder.`)
  process.exit(1)
}
if (!existsSync(chromiumPath)) {
  console.error(`Chromium is not at ${chromiumPath}; apt-get install chromium, or set TUNSCOPE_CHROMIUM.`)
  process.exit(1)
}

const bin = process.env.BENCH_BIN ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tunscope-bench')
mkdirSync(bin, { recursive: true })
const pump = join(bin, 'pump')
if (!existsSync(pump) || statSync(pump).mtimeMs < statSync(join(benchDir, 'pump.c')).mtimeMs) {
  const cc = spawnSync('gcc', ['-O2', '-o', pump, join(benchDir, 'pump.c')], { stdio: 'inherit' })
  if (cc.status !== 0) process.exit(1)
}

const ns = `tsuibench${process.pid}`
const work = mkdtempSync(join(tmpdir(), 'tunscope-bench-ui-'))
const socket = join(work, 'uart.sock')
const children = []
const inNs = (command, args, options = {}) => {
  const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options })
  children.push(child)
  return child
}
const output = (child) => new Promise((done) => {
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.on('exit', () => done(out))
})
const cleanup = () => {
  for (const child of children) child.kill('SIGKILL')
  spawnSync('ip', ['netns', 'del', ns])
  rmSync(work, { recursive: true, force: true })
}
process.on('exit', cleanup)

spawnSync('ip', ['netns', 'add', ns], { stdio: 'inherit' })
spawnSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up'])
const sink = output(inNs(pump, ['sink', '9999', String(PUMP_SECONDS)]))
const sent = output(inNs(pump, ['d2h', socket, '64', String(PUMP_SECONDS)]))
await new Promise((r) => setTimeout(r, 300))
const server = inNs(process.execPath, [join(root, 'bin', 'tunscope.mjs'), 'serve', '--socket', socket, '--tun', 'tun0', '--port', '0', '--start'], {
  env: { ...process.env, XDG_CONFIG_HOME: join(work, 'config') }
})
const url = await new Promise((done, fail) => {
  let out = ''
  server.stdout.on('data', (d) => {
    out += d
    const line = /^(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(out)
    if (line) done(line[1])
  })
  server.on('exit', (code) => fail(new Error(`tunscope serve exited with ${code}`)))
})

const wrapper = join(work, 'chromium-in-netns')
writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${chromiumPath} "$@"\n`)
chmodSync(wrapper, 0o755)
const browser = await chromium.launch({
  executablePath: wrapper,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
})
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
const cdp = await page.context().newCDPSession(page)
await cdp.send('Performance.enable')
const heapMiB = async () => {
  const { metrics } = await cdp.send('Performance.getMetrics')
  return metrics.find((m) => m.name === 'JSHeapUsedSize').value / 2 ** 20
}
await page.goto(url)
await page.getByTestId('uart-status').filter({ hasText: /connected/ }).waitFor({ timeout: 15_000 })
await new Promise((r) => setTimeout(r, 1000))
const heapStart = await heapMiB()
await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] })
const rowsSeen = []
for (let s = 0; s < TRACE_SECONDS; s++) {
  await new Promise((r) => setTimeout(r, 1000))
  rowsSeen.push(await page.getByTestId('row-count').textContent())
}
const trace = JSON.parse((await browser.stopTracing()).toString())
const heapEnd = await heapMiB()

// Long tasks: the renderer main thread's top-level RunTask events.
const events = trace.traceEvents ?? trace
const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
// dur is wall time; tdur the thread's CPU time (on a busy 2-core machine the
// difference is time the renderer waited for a core while the flood ran).
const runTasks = events.filter((e) => e.ph === 'X' && e.name === 'RunTask' && main && e.pid === main.pid && e.tid === main.tid)
const tasks = runTasks.map((e) => e.dur / 1000)
const longest = Math.max(0, ...tasks)
const longestCpu = Math.max(0, ...runTasks.map((e) => (e.tdur ?? e.dur) / 1000))
const cpuShare = runTasks.reduce((sum, e) => sum + (e.tdur ?? e.dur), 0) / 1000 / (TRACE_SECONDS * 1000)

// Exact counters: after the flood, the page's total equals what the pump sent.
const pumped = JSON.parse((await sent).trim().split('\n').at(-1))
await sink
await new Promise((r) => setTimeout(r, 2500))
const shownTotal = Number((await page.getByTestId('total-fromDevice').textContent()).replace(/[^\d ]/g, '').trim().split(/\s+/)[0])
await browser.close()

console.log(`Inspector under a flood: ${Math.round(pumped.frames / pumped.seconds).toLocaleString('en-US')} frames/s of 64-byte packets for ${pumped.seconds.toFixed(1)} s (pump d2h through tunscope serve --start)\n`)
console.log('| measure | value | target |')
console.log('|---|---:|---|')
console.log(`| longest renderer main-thread task in ${TRACE_SECONDS} s (wall) | ${longest.toFixed(1)} ms | ≤ ${LONG_TASK_MS} ms |`)
console.log(`| tasks over ${LONG_TASK_MS} ms (wall) | ${tasks.filter((t) => t > LONG_TASK_MS).length} | 0 |`)
console.log(`| longest task's worth of CPU (the rest is waiting for a core) | ${longestCpu.toFixed(1)} ms | |`)
console.log(`| renderer main thread CPU | ${(cpuShare * 100).toFixed(0)} % of one core | |`)
console.log(`| JS heap at start → after ${TRACE_SECONDS} s | ${heapStart.toFixed(0)} → ${heapEnd.toFixed(0)} MiB | bounded (store caps 200 000 frames / 64 MiB) |`)
console.log(`| frames the pump sent / the page's ← device counter | ${pumped.frames.toLocaleString('en-US')} / ${shownTotal.toLocaleString('en-US')} | equal |`)
console.log(`| rows listed, each second | ${rowsSeen.map((r) => r.replace(/ frames$/, '')).join(', ')} | |`)
// The server and the pump's sink would keep running: exit, which kills them and removes the namespace.
process.exit(longest <= LONG_TASK_MS && shownTotal === pumped.frames ? 0 : 1)
