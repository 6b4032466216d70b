#!/usr/bin/env node
// npm run bench: tunscope's bridge beside the reference C relay from
// ../shared/bench, each in a private network namespace with the same load
// pump. The machine is shared and noisy, so runs alternate closely and each
// tunscope figure is divided by the C relay's measured just before and just
// after it (their mean); the table shows the median of those ratios.
// The qemu and slip rows run through framing-bench.sh, whose pump speaks that
// framing; the C relay they are compared with is the same 2-byte one.
// The two-devices row runs through multi-bench.sh: two devices sending at once
// through one bridge, divided by one device alone through the same bridge,
// measured just before and just after it (the same pump program plays every
// device). BENCH_ONLY=multi runs that row alone.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const benchDir = resolve(process.env.TUNSCOPE_BENCH_DIR ?? join(root, '..', 'shared', 'bench'))
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const sizes = (process.env.BENCH_SIZES ?? '64 1400').split(' ')
const seconds = process.env.BENCH_SECS ?? '3'

if (process.getuid?.() !== 0) {
  console.error('npm run bench needs root: it makes network namespaces and a TUN device. Run it with sudo.')
  process.exit(1)
}
if (!existsSync(join(benchDir, 'bench.sh'))) {
  console.error(`The reference bench (bench.sh, c_relay.c, pump.c) is not at ${benchDir}; set TUNSCOPE_BENCH_DIR to its folder.`)
  process.exit(1)
}

const only = process.env.BENCH_ONLY ?? ''
if (only !== '' && only !== 'multi') {
  console.error(`BENCH_ONLY takes "multi" (the two-devices row alone), not "${only}".`)
  process.exit(1)
}
const work = mkdtempSync(join(tmpdir(), 'tunscope-bench-'))
const cli = `node ${join(root, 'bin', 'tunscope.mjs')} bridge --quiet --socket {SOCK} --tun {TUN}`
const reference = { name: 'c_relay', command: '{BIN}/c_relay {SOCK} {TUN}' }
// Capture to /dev/null measures the bridge's own capture work (ring, pcapng
// encoding, writes); capture to a file adds what the filesystem costs.
const bridges = [
  { name: 'tunscope, capture off', command: cli },
  { name: 'tunscope, capture on (pcapng to /dev/null)', command: `${cli} --pcap /dev/null` },
  { name: 'tunscope, capture on (pcapng to a file)', command: `${cli} --pcap ${join(work, 'bench.pcapng')}` },
  ...['qemu', 'slip'].filter(framingAvailable).map((framing) => ({
    name: `tunscope --framing ${framing}, capture on (pcapng to /dev/null)`,
    framing,
    command: `${cli} --framing ${framing} --pcap /dev/null`
  }))
]

/** Whether this build's bridge takes --framing `framing`. */
function framingAvailable(framing) {
  const help = spawnSync(process.execPath, [join(root, 'bin', 'tunscope.mjs'), 'bridge', '--help'], { encoding: 'utf8' }).stdout
  const described = /--framing <name>([\s\S]*?)\n\s*-/.exec(help)?.[1] ?? ''
  const available = new RegExp(`\\b${framing}\\b`).test(described)
  if (!available) console.error(`${framing} framing not available in this build`)
  return available
}

/** One bench.sh (framing-bench.sh for another framing) run: { d2h: {pps, mbps}, h2d: {pps, mbps} } for one size. */
function measure(bridge, size) {
  const script = bridge.framing ? [join(root, 'bench', 'framing-bench.sh'), bridge.framing] : [join(benchDir, 'bench.sh')]
  const run = spawnSync('bash', [...script, bridge.name, bridge.command, size], { encoding: 'utf8', env: { ...process.env, BENCH_SECS: seconds, TUNSCOPE_BENCH_DIR: benchDir } })
  if (run.status !== 0 || bridge.framing) process.stderr.write(run.stderr)
  const result = {}
  for (const line of run.stdout.split('\n').filter(Boolean)) {
    const r = JSON.parse(line)
    result[r.dir] = { pps: r.pps, mbps: r.mbps }
  }
  return result
}

const samples = new Map() // `${name}|${dir}|${size}` -> [{pps, mbps, ratio}]
const add = (name, dir, size, sample) => {
  const key = `${name}|${dir}|${size}`
  samples.set(key, [...(samples.get(key) ?? []), sample])
}
for (let round = 1; round <= (only ? 0 : rounds); round++) {
  for (const size of sizes) {
    process.stderr.write(`round ${round}/${rounds}, ${size}-byte packets\n`)
    let before = measure(reference, size)
    for (const bridge of bridges) {
      const result = measure(bridge, size)
      const after = measure(reference, size)
      for (const dir of ['d2h', 'h2d']) {
        const base = (before[dir].pps + after[dir].pps) / 2
        add(bridge.name, dir, size, { ...result[dir], ratio: result[dir].pps / base })
        add(reference.name, dir, size, { ...before[dir], ratio: 1 })
      }
      before = after
    }
  }
}

// Two devices at once against one alone: multi-bench.sh with 1 and with 2 devices, alternated per
// size as 1 2 1 2 … 1, each two-device run divided by the one-device runs just before and after it.
const multiCommand = `node ${join(root, 'bin', 'tunscope.mjs')} bridge --quiet {SOCKETS} --tun {TUN}`
const multiSamples = new Map() // `${devices}|${dir}|${size}` -> [{pps, mbps, perDevice, offered, bridgeCpu, misrouted, wrongMac, ratio}]
/** One multi-bench.sh run with `devices` devices: { d2h: {...}, h2d: {...} } for one size. */
function measureMulti(devices, size) {
  const run = spawnSync('bash', [join(root, 'bench', 'multi-bench.sh'), String(devices), `${devices} device${devices > 1 ? 's' : ''}`, multiCommand, size], { encoding: 'utf8', env: { ...process.env, BENCH_SECS: seconds } })
  process.stderr.write(run.stderr)
  const result = {}
  for (const line of run.stdout.split('\n').filter(Boolean)) {
    const r = JSON.parse(line)
    result[r.dir] = r
  }
  for (const dir of ['d2h', 'h2d']) {
    if (result[dir]) continue
    process.stderr.write(`multi-bench.sh with ${devices} device(s), ${size} B: no ${dir} result (exit status ${run.status})\n`)
    result[dir] = { pps: 0, mbps: 0, perDevice: Array(devices).fill(0), offered: 0, bridgeCpu: 0, misrouted: 0, wrongMac: 0 }
  }
  return result
}
const addMulti = (devices, dir, size, sample) => {
  const key = `${devices}|${dir}|${size}`
  multiSamples.set(key, [...(multiSamples.get(key) ?? []), sample])
}
for (const size of sizes) {
  let before = measureMulti(1, size)
  for (let round = 1; round <= rounds; round++) {
    process.stderr.write(`two devices, ${size}-byte packets, round ${round}/${rounds}\n`)
    const two = measureMulti(2, size)
    const after = measureMulti(1, size)
    for (const dir of ['d2h', 'h2d']) {
      const base = (before[dir].pps + after[dir].pps) / 2
      addMulti(2, dir, size, { ...two[dir], ratio: two[dir].pps / base })
      addMulti(1, dir, size, { ...before[dir], ratio: 1 })
      if (round === rounds) addMulti(1, dir, size, { ...after[dir], ratio: 1 })
    }
    before = after
  }
}
rmSync(work, { recursive: true, force: true })

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
if (!only) {
  console.log(`${rounds} rounds of ${seconds} s runs; packets/s and Mbit/s are medians; "× C relay" is the median of each run's`)
  console.log(`packets/s divided by the C relay's measured just before and after it (min–max in brackets).\n`)
  console.log('| direction | IP packet | bridge | packets/s | Mbit/s | × C relay |')
  console.log('|---|---:|---|---:|---:|---:|')
  for (const dir of ['d2h', 'h2d']) {
    for (const size of sizes) {
      for (const name of [reference.name, ...bridges.map((b) => b.name)]) {
        const s = samples.get(`${name}|${dir}|${size}`) ?? []
        const ratios = s.map((x) => x.ratio)
        const spread = name === reference.name ? '' : ` (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`
        console.log(`| ${dir === 'd2h' ? 'device → host' : 'host → device'} | ${size} B | ${name} | ${Math.round(median(s.map((x) => x.pps)))} | ${median(s.map((x) => x.mbps)).toFixed(1)} | ${median(ratios).toFixed(2)}${spread} |`)
      }
    }
  }
  if (bridges.some((b) => b.framing)) {
    console.log(`\nThe --framing rows: bench/framing-bench.sh, whose pump (bench/framing_pump.c) plays the device in that framing;`)
    console.log(`the C relay they are divided by is the same 2-byte one. About 1 % of each UDP payload's bytes are 0xC0 or 0xDB`)
    console.log(`(SLIP's END and ESC), and the IPv4 addresses hold two 0xC0, so SLIP escapes in every frame. Host → device`)
    console.log(`Mbit/s counts the bytes on the socket: length prefixes, SLIP's ENDs and escapes included.`)
  }
  console.log('')
}

// The two-devices table.
const medianOf = (s, field) => median(s.map((x) => x[field]))
console.log(`Two devices at once through one bridge (capture off), ${rounds} rounds of ${seconds} s runs: bench/multi-bench.sh, one`)
console.log(`bench/multi_pump.c per device (192.168.100.2 and .3, each on its own socket), alternated 1 2 1 2 … 1 device.`)
console.log(`Figures are medians; packets/s is the two devices' rates added; "× 1 device" is the median of each two-device`)
console.log(`run's sum divided by the one-device runs just before and after it (min–max in brackets; target ≥ 0.80).`)
console.log(`"offered" is what the device pumps wrote (device → host) or the host's blast sent (host → device) per second;`)
console.log(`"bridge CPU" the bridge process's CPU time over the run, in cores (of 2).\n`)
console.log('| direction | IP packet | devices | packets/s | per device | Mbit/s | × 1 device | offered/s | bridge CPU |')
console.log('|---|---:|---:|---:|---|---:|---:|---:|---:|')
const faults = []
for (const dir of ['d2h', 'h2d']) {
  for (const size of sizes) {
    for (const devices of [1, 2]) {
      const s = multiSamples.get(`${devices}|${dir}|${size}`) ?? []
      if (s.length === 0) continue
      const ratios = s.map((x) => x.ratio)
      const perDevice = s[0].perDevice.map((_, k) => Math.round(median(s.map((x) => x.perDevice[k] ?? 0))))
      const ratio = devices === 1 ? '1.00' : `${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`
      console.log(`| ${dir === 'd2h' ? 'device → host' : 'host → device'} | ${size} B | ${devices} | ${Math.round(medianOf(s, 'pps'))} | ${perDevice.join(' + ')} | ${medianOf(s, 'mbps').toFixed(1)} | ${ratio} | ${Math.round(medianOf(s, 'offered'))} | ${medianOf(s, 'bridgeCpu').toFixed(2)} |`)
      const misrouted = s.reduce((sum, x) => sum + x.misrouted, 0)
      const wrongMac = s.reduce((sum, x) => sum + x.wrongMac, 0)
      const starved = s.filter((x) => x.perDevice.some((p) => p === 0)).length
      if (misrouted || wrongMac || starved) faults.push(`${dir} ${size} B, ${devices} device(s): ${misrouted} packets at the wrong device, ${wrongMac} to the wrong MAC, ${starved} runs where a device got nothing`)
    }
  }
}
console.log(faults.length ? `\nNot as it should be:\n${faults.join('\n')}` : '\nEvery packet counted reached the device it was addressed to (none misrouted, none to another MAC), and every device got traffic in every run.')
