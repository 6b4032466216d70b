#!/usr/bin/env node
// npm run bench: tunscope's bridge beside the reference C relay from
// ../shared/bench, run alternately in private network namespaces, reported as
// medians and as ratios to the C relay measured in the same run.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const benchDir = resolve(process.env.TUNSCOPE_BENCH_DIR ?? join(root, '..', 'shared', 'bench'))
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const sizes = (process.env.BENCH_SIZES ?? '64 1400').split(' ')

if (process.getuid?.() !== 0) {
  console.error('npm run bench needs root: it makes network namespaces and a TUN device. Run it with sudo.')
  process.exit(1)
}
if (!existsSync(join(benchDir, 'bench.sh'))) {
  console.error(`The reference bench (bench.sh, c_relay.c, pump.c) is not at ${benchDir}; set TUNSCOPE_BENCH_DIR to its folder.`)
  process.exit(1)
}

const work = mkdtempSync(join(tmpdir(), 'tunscope-bench-'))
const cli = `node ${join(root, 'bin', 'tunscope.mjs')} bridge --quiet --socket {SOCK} --tun {TUN}`
// Capture to /dev/null measures the bridge's own capture work (ring, pcapng
// encoding, writes); capture to a file adds what the filesystem costs.
const bridges = [
  { name: 'c_relay', command: '{BIN}/c_relay {SOCK} {TUN}' },
  { name: 'tunscope, capture off', command: cli },
  { name: 'tunscope, capture on (pcapng to /dev/null)', command: `${cli} --pcap /dev/null` },
  { name: 'tunscope, capture on (pcapng to a file)', command: `${cli} --pcap ${join(work, 'bench.pcapng')}` }
]

const results = new Map() // `${bridge}|${dir}|${size}` -> pps[]
for (let round = 1; round <= rounds; round++) {
  for (const bridge of bridges) {
    process.stderr.write(`round ${round}/${rounds}: ${bridge.name}\n`)
    const run = spawnSync('bash', [join(benchDir, 'bench.sh'), bridge.name, bridge.command, ...sizes], { encoding: 'utf8' })
    if (run.status !== 0) process.stderr.write(run.stderr)
    for (const line of run.stdout.split('\n').filter(Boolean)) {
      const r = JSON.parse(line)
      const key = `${bridge.name}|${r.dir}|${r.size}`
      results.set(key, [...(results.get(key) ?? []), r])
    }
  }
}
rmSync(work, { recursive: true, force: true })

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const rows = []
for (const dir of ['d2h', 'h2d']) {
  for (const size of sizes) {
    const base = median((results.get(`c_relay|${dir}|${size}`) ?? []).map((r) => r.pps))
    for (const bridge of bridges) {
      const rs = results.get(`${bridge.name}|${dir}|${size}`) ?? []
      const pps = median(rs.map((r) => r.pps))
      rows.push({ direction: dir === 'd2h' ? 'device → host' : 'host → device', size, bridge: bridge.name, pps, mbps: median(rs.map((r) => r.mbps)), ratio: base ? pps / base : NaN })
    }
  }
}
console.log(`Medians of ${rounds} alternating rounds, ${process.env.BENCH_SECS ?? 3} s each; ratio = packets/s ÷ the C relay's in the same run.\n`)
console.log('| direction | IP packet | bridge | packets/s | Mbit/s | × C relay |')
console.log('|---|---:|---|---:|---:|---:|')
for (const r of rows) console.log(`| ${r.direction} | ${r.size} B | ${r.bridge} | ${Math.round(r.pps)} | ${r.mbps.toFixed(1)} | ${r.ratio.toFixed(2)} |`)
