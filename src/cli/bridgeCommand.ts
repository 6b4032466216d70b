// `tunscope bridge`: the headless bridge, with status output and optional
// pcapng capture to a file or standard output.
import { closeSync, createWriteStream, fstatSync, ftruncateSync, openSync, statSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { Writable } from 'node:stream'

import { Bridge, type BridgeStats } from '../engine/bridge.js'
import { PcapngWriter, type SyncFile } from '../engine/capture/pcapngWriter.js'
import { CaptureRing } from '../engine/capture/ring.js'
import { UserError } from '../engine/errors.js'
import { toBridgeOptions, type BridgeFlags } from '../engine/bridgeSettings.js'
import { engineTitle } from '../engine/uplink/userNetEngine.js'
import { settingsFolder } from './settingsFolder.js'
import { describeDevice, describeLink, describeTun, finalReport, severalReport, statusLine } from './statusReport.js'
import { VERSION } from './version.js'

export interface BridgeCommandFlags extends BridgeFlags {
  pcap?: string
  json?: boolean
  quiet?: boolean
}

const PLAIN_STATUS_EVERY_MS = 10_000

export async function runBridge(flags: BridgeCommandFlags): Promise<void> {
  if (flags.json && flags.pcap === '-') throw new UserError('--json and --pcap - both want standard output; write the capture to a file or drop --json.')
  const options = toBridgeOptions(flags)
  if (options.dhcp && options.devices.length > 1) options.dhcp.leaseFile = join(settingsFolder(), 'leases.json')
  const several = options.devices.length > 1
  // With several devices each line names the device it is about.
  const about = (name: string, line: string): string => (several ? `${name}: ${line}` : line)
  const pcapOut = flags.pcap === undefined ? null : openCaptureOutput(flags.pcap)
  // The pcapng writer, the only reader here, drains after every batch: a small
  // ring is enough and stays in cache.
  const capture = pcapOut ? new CaptureRing({ dataBytes: 4 * 1024 * 1024, maxRecords: 32_768 }) : null
  const bridge = new Bridge({ ...options, capture })
  const clearableStatus = new StatusWriter(process.stderr)
  const log = (line: string): void => {
    if (!flags.quiet) clearableStatus.write(line)
  }
  const lastLink = new Map<string, string>()
  bridge.on('link', (link, name) => {
    // Retries repeat the same state with a new attempt number: say it once.
    const key = `${link.status} ${link.detail}`
    if (key !== lastLink.get(name) && link.status !== 'stopped') log(about(name, describeLink(link)))
    lastLink.set(name, key)
  })
  bridge.on('device', (device, name) => log(about(name, describeDevice(device))))
  bridge.on('tun', (tun, created) => log(describeTun(tun, created)))
  bridge.on('userNet', ({ engine, forwards }) => log(`user-mode network (${engineTitle(engine)}) up${forwards.length > 0 ? `: ${forwards.map((f) => `${f.protocol} ${f.bindAddress}:${f.hostPort} → device port ${f.devicePort}`).join(', ')}` : ', no forwards'}`))
  bridge.on('tunStatus', (status, problem) => {
    // The user-mode network has no TUN: its link coming up is said by the 'userNet' line.
    if (options.userNet && status === 'up') return
    log(problem ?? `${options.tun.name} is ${status} again`)
  })
  try {
    bridge.start()
  } catch (error) {
    pcapOut?.discard()
    throw error
  }
  pcapOut?.keep()
  const leases = bridge.stats().leases
  if (leases) log(leases.problem ?? `DHCP: ${leases.count} ${leases.count === 1 ? 'device' : 'devices'} remembered in ${leases.file}; new ones get addresses from ${options.deviceIp}`)
  const pcap = pcapOut && capture
    ? new PcapngWriter(capture, pcapOut.output, {
        application: `tunscope ${VERSION}`,
        onOverrun: (records) => (bridge.counters.drops.captureOverrun += records),
        onError: (error) => clearableStatus.write(`capture stopped: ${error.message}`),
        reuseWrittenChunks: true // a pipe, socket or standard output
      })
    : null
  pcap?.start()
  if (pcap) log(`capturing every frame as pcapng to ${flags.pcap === '-' ? 'standard output' : flags.pcap}`)

  // `--json | head -1`: when the reader goes away the bridge stops as on Ctrl-C (the user-mode engine, the TUN
  // and the capture closed), not with a stack trace.
  let stdoutOpen = true
  const ticker = setInterval(() => {
    const stats = bridge.stats()
    if (flags.json) {
      if (stdoutOpen) process.stdout.write(`${JSON.stringify(stats)}\n`)
    }
    else if (!flags.quiet) clearableStatus.status(stats)
  }, 1000)
  const plainTicker = !flags.quiet && !flags.json && !process.stderr.isTTY
    ? setInterval(() => clearableStatus.write(statusLine(bridge.stats())), PLAIN_STATUS_EVERY_MS)
    : undefined

  await new Promise<void>((resolve, reject) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      // A second signal while stopping ends the process at once.
      process.once('SIGINT', () => process.exit(130))
      resolve()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    if (flags.json) {
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (!stdoutOpen) return
        stdoutOpen = false
        if (error.code !== 'EPIPE') return reject(new UserError(`Cannot write the --json stats to standard output (${error.code ?? error.message}).`))
        log('standard output was closed (its reader went away): stopping')
        onSignal()
      })
    }
    bridge.once('fatal', reject)
  }).finally(async () => {
    clearInterval(ticker)
    clearInterval(plainTicker)
    await bridge.stop()
    await pcap?.close()
  })
  const stats = bridge.stats()
  const devices = stats.devices.map(({ name, framing, payload, counters, dhcp }) => ({ name, framing, payload, counters, dhcp }))
  if (flags.json && stdoutOpen) process.stdout.write(`${JSON.stringify({ final: true, framing: stats.framing, payload: stats.payload, counters: stats.counters, devices })}\n`)
  else clearableStatus.finish(several ? severalReport(stats) : finalReport(stats.counters, options.devices[0]!.framing, stats.dhcp))
}

interface CaptureOutput {
  output: Writable | SyncFile
  /** The bridge started: an existing file is emptied for the new capture. */
  keep(): void
  /** The bridge never started: a file made for it is removed, and anything that was there is left as it was. */
  discard(): void
}

function openCaptureOutput(path: string): CaptureOutput {
  if (path === '-') {
    if (process.stdout.isTTY) throw new UserError('--pcap - writes binary pcapng to standard output; pipe it (| wireshark -k -i -) or give a file name.')
    return { output: process.stdout, keep: () => {}, discard: () => {} }
  }
  // A file of the user's is emptied only once the bridge has started, and a device
  // (/dev/null) or a named pipe is never removed: a bridge that fails loses nothing.
  let fd: number
  let created = false
  try {
    try {
      fd = openSync(path, 'wx')
      created = true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      fd = openSync(path, statSync(path).isFile() ? 'r+' : 'w')
    }
  } catch (error) {
    throw new UserError(`Cannot write the capture to ${path} (${(error as NodeJS.ErrnoException).code}); check that its folder exists and is writable.`)
  }
  // Files and /dev/null take synchronous writes straight from the ring; a named
  // pipe must never block the data path, so it gets a stream.
  const stat = fstatSync(fd)
  return {
    output: stat.isFile() || stat.isCharacterDevice() ? { fd } : createWriteStream('', { fd }),
    keep: () => {
      if (stat.isFile() && !created) ftruncateSync(fd, 0)
    },
    discard: () => {
      closeSync(fd)
      if (created) unlinkSync(path)
    }
  }
}

/**
 * Columns the status line leaves free at the end of the terminal: the cursor
 * never reaches the last column (no wrap), and the "^C" the terminal echoes
 * on Ctrl-C stays on the status line, which the final report then clears.
 */
const STATUS_MARGIN = 3

/** A status line rewritten in place on a terminal; plain lines otherwise. */
class StatusWriter {
  private showing = false
  constructor(private readonly out: NodeJS.WriteStream) {}

  status(stats: BridgeStats): void {
    if (!this.out.isTTY) return
    this.out.write(`\r\x1b[2K${statusLine(stats, (this.out.columns || 80) - STATUS_MARGIN)}`)
    this.showing = true
  }

  write(line: string): void {
    this.out.write(`${this.showing ? '\r\x1b[2K' : ''}${line}\n`)
    this.showing = false
  }

  /** The last words: on a terminal they start on a cleared line whatever the terminal echoed (^C) after the last line. */
  finish(text: string): void {
    this.out.write(`${this.out.isTTY ? '\r\x1b[2K' : ''}${text}\n`)
    this.showing = false
  }
}
