// What `tunscope bridge` prints about itself: a status line, link and device
// changes, and the final counters.
import type { InterfaceState } from '../native/index.js'
import type { BridgeStats, DeviceInfo } from '../engine/bridge.js'
import type { DhcpServerCounters } from '../engine/services/dhcpServer.js'
import { BEFORE_DEVICE_TEXT, DROP_CAUSES, DROP_TEXT, FRAMING_ERROR_KINDS, FRAMING_ERROR_TEXT, type CountersSnapshot } from '../engine/counters.js'
import type { Framing } from '../engine/framing/framing.js'
import { DEFAULT_FRAMING, framingFor } from '../engine/framing/index.js'
import type { DirectionRate } from '../engine/rates.js'
import type { LinkState } from '../engine/transport/index.js'
import { formatBytes, formatBytesShort, formatCount, formatPercent, formatRate } from './format.js'

export function describeLink(link: LinkState): string {
  switch (link.status) {
    case 'waiting':
      return `waiting for the device at ${link.endpoint}${link.detail ? ` (${link.detail})` : ''}`
    case 'connected':
      return `connected to ${link.endpoint}`
    case 'reconnecting':
      return `reconnecting to ${link.endpoint} (${link.attempt}${link.detail ? `, ${link.detail}` : ''})`
    case 'stopped':
      return 'stopped'
  }
}

export function describeDevice(device: DeviceInfo): string {
  return `device ${device.mac ?? 'MAC not seen yet'}${device.ipv4 ? ` ${device.ipv4}` : ''}${device.conflict ? ` — conflict: ${device.conflict}` : ''}`
}

/** All framing errors, and all drops, of a set of counters. */
function sums(c: CountersSnapshot): { errors: number; drops: number } {
  return {
    errors: FRAMING_ERROR_KINDS.reduce((sum, k) => sum + c.framingErrors[k], 0),
    drops: DROP_CAUSES.reduce((sum, cause) => sum + c.drops[cause], 0)
  }
}

/** How many ways the status line can be said, from all words (0) to the shortest. */
const LEVELS = 7

const LINK_SHORT: Record<LinkState['status'], string> = { waiting: 'wait', connected: 'conn', reconnecting: 'retry', stopped: 'stop' }

/**
 * The line rewritten in place every second: what changes (where things are was
 * logged once). Said in as many words as fit in `width` columns: fields are
 * abbreviated and lose their units before any is left out, so the framing
 * errors and drops at its end stay on a narrow terminal.
 */
export function statusLine(stats: BridgeStats, width = Infinity): string {
  let line = ''
  for (let level = 0; level < LEVELS; level++) {
    line = statusLineAt(stats, level)
    if (line.length <= width) return line
  }
  return line.slice(0, Math.max(0, width)) // narrower than any terminal the shortest form is meant for
}

function statusLineAt(stats: BridgeStats, level: number): string {
  const r = stats.rates.window1s
  const c = stats.counters
  const { errors, drops } = sums(c)
  const short = level >= 4
  const count = (n: number): string => (level >= 3 ? formatCount(n) : String(n))
  const connected = stats.devices.filter((d) => d.link.status === 'connected').length
  const link = stats.devices.length > 1 ? `${connected}/${stats.devices.length} ${short ? 'conn' : 'connected'}` : short ? LINK_SHORT[stats.link.status] : stats.link.status
  const kind = stats.tun?.kind === 'tap' ? 'TAP' : 'TUN'
  const tun = stats.tunStatus === 'up' ? '' : short ? ` ${kind} ${stats.tunStatus}` : `, ${kind} ${stats.tunStatus}`
  // Today's wire goes unsaid, so the ESP32 tunnel's line reads as it always has.
  const wire = stats.framing === DEFAULT_FRAMING ? [] : [level === 0 ? `framing ${stats.framing}` : stats.framing]
  const seen = stats.device.ipv4 ?? stats.device.mac
  const device = stats.devices.length > 1 ? devicesSummary(stats, level) : [
    `device ${seen ?? 'not seen'}`,
    `dev ${seen ?? 'not seen'}`,
    seen ?? 'no device',
    seen ?? 'no device',
    seen ?? 'no dev',
    stats.device.ipv4 ?? (stats.device.mac ? `…${stats.device.mac.slice(-8)}` : 'no dev')
  ][Math.min(level, 5)]!
  const direction = (arrow: string, frames: number, rate: DirectionRate): string => {
    const percent = formatPercent(rate.utilization)
    return [
      `${arrow}dev ${frames} fr ${formatRate(rate.bytesPerSecond)} ${percent}`,
      `${arrow} ${frames} fr ${formatRate(rate.bytesPerSecond)} ${percent}`,
      `${arrow} ${frames} ${formatBytesShort(rate.bytesPerSecond)}/s ${percent}`,
      `${arrow}${count(frames)} ${percent}`,
      `${arrow}${count(frames)} ${percent}`,
      `${arrow}${count(frames)} ${percent}`,
      `${arrow}${percent}` // utilization says more than the frame count, which goes first
    ][level]!
  }
  const framing = [
    `framing errors ${errors} (${formatBytes(c.bytesSkipped)} skipped)`,
    `framing err ${errors} (${formatBytes(c.bytesSkipped)} skipped)`,
    `err ${errors} (${formatBytesShort(c.bytesSkipped)})`,
    `err ${count(errors)}/${formatBytesShort(c.bytesSkipped)}`,
    `err ${count(errors)}/${formatBytesShort(c.bytesSkipped)}`,
    `err ${count(errors)}`,
    `err ${count(errors)}`
  ][level]!
  return [
    link + tun,
    ...wire,
    device,
    direction('→', c.toDevice.frames, r.toDevice),
    direction('←', c.fromDevice.frames, r.fromDevice),
    framing,
    `${short ? 'drop' : 'drops'} ${count(drops)}`
  ].join(level >= 5 ? ' ' : ' · ')
}

/**
 * Several devices in a few words each: the name and the address seen (else the link's state), then
 * a '!' where it conflicts with another; at the shortest, each one's last address byte.
 */
function devicesSummary(stats: BridgeStats, level: number): string {
  return stats.devices.map((d) => {
    const seen = d.device.ipv4 ?? (d.link.status === 'connected' ? 'no addr' : LINK_SHORT[d.link.status])
    const mark = d.device.conflict ? '!' : ''
    if (level >= 5) return `${d.device.ipv4 ? `.${d.device.ipv4.split('.').at(-1)}` : LINK_SHORT[d.link.status]}${mark}`
    return `${d.name} ${seen}${mark}`
  }).join(level >= 5 ? ' ' : ', ')
}

export function describeTun(tun: InterfaceState, created: boolean): string {
  return `${tun.kind === 'tap' ? 'TAP' : 'TUN'} ${tun.name} ${tun.address ?? 'no address'}/${tun.prefixLength ?? '-'} mtu ${tun.mtu} ${tun.up ? 'up' : 'DOWN'} (${created ? 'created' : 'attached'})`
}

/** Nonzero entries as "name n, name n", or "none". */
function nonZero(entries: [string, number][]): string {
  const shown = entries.filter(([, n]) => n > 0).map(([name, n]) => `${name} ${n}`)
  return shown.length > 0 ? shown.join(', ') : 'none'
}

/** Packets that found no device yet: said after the drops, not among them. */
function beforeDevice(n: number): string {
  return n > 0 ? `; ${n} ${n === 1 ? 'packet' : 'packets'} ${BEFORE_DEVICE_TEXT} (not ${n === 1 ? 'a drop' : 'drops'})` : ''
}

/** The DHCP server's answers on one line: what it sent, then what it ignored and why. */
export function dhcpReport(d: DhcpServerCounters): string {
  const ignored = Object.values(d.ignored).reduce((sum, n) => sum + n, 0)
  const why = nonZero([
    ['malformed', d.ignored.malformed],
    ['unsupported', d.ignored.unsupported],
    ['not for us', d.ignored.notForUs],
    ['other client', d.ignored.otherClient],
    ['no room', d.ignored.noRoom],
    ['no address left', d.ignored.poolFull]
  ])
  return `DHCP:           ${d.offers} offers, ${d.acks} ACKs, ${d.naks} NAKs, ${d.releases} releases, ${d.declines} declines; ${ignored} ignored${ignored > 0 ? ` (${why})` : ''}`
}

/** The final report of a bridge with several devices: the totals, then a line for each device. */
export function severalReport(stats: BridgeStats): string {
  const line = (d: BridgeStats['devices'][number]): string => {
    const c = d.counters
    const { errors, drops } = sums(c)
    return `  ${d.name} (${d.framing}, ${d.device.ipv4 ?? 'no address seen'}): → ${c.toDevice.frames} frames, ← ${c.fromDevice.frames} frames, ${errors} framing errors, ${drops} drops, ${c.reconnects} reconnects`
  }
  return [`totals over ${stats.devices.length} devices:`, finalReport(stats.counters, undefined, stats.dhcp), 'each device:', ...stats.devices.map(line)].join('\n')
}

/**
 * The counters when the bridge stops, in the words the UI uses (a framing other
 * than today's wire is named first; the DHCP server's answers last, with --dhcp).
 */
export function finalReport(c: CountersSnapshot, framing: Framing = framingFor(DEFAULT_FRAMING), dhcp: DhcpServerCounters | null = null): string {
  const { errors, drops } = sums(c)
  const wire = framing.name === DEFAULT_FRAMING ? [] : [`framing:        ${framing.name}: ${framing.title}`]
  return [
    ...wire,
    `to device:      ${c.toDevice.frames} frames, ${c.toDevice.bytes} bytes (${c.proxyArpReplies} proxy ARP replies${c.arpProbes > 0 ? `, ${c.arpProbes} ARP ${c.arpProbes === 1 ? 'probe' : 'probes'} for its MAC` : ''})`,
    `from device:    ${c.fromDevice.frames} frames, ${c.fromDevice.bytes} bytes${c.textFromDevice > 0 ? `; ${c.textFromDevice} text lines (tunslip6's, not forwarded)` : ''}`,
    `framing errors: ${errors} (${nonZero(FRAMING_ERROR_KINDS.map((k) => [FRAMING_ERROR_TEXT[k], c.framingErrors[k]]))}); ${c.bytesSkipped} bytes skipped`,
    `drops:          ${drops} (${nonZero(DROP_CAUSES.map((cause) => [DROP_TEXT[cause], c.drops[cause]]))})${beforeDevice(c.beforeDevice)}`,
    `reconnects:     ${c.reconnects}`,
    ...(dhcp ? [dhcpReport(dhcp)] : [])
  ].join('\n')
}
