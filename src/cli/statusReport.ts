// What `tunscope bridge` prints about itself: a status line, link and device
// changes, and the final counters.
import type { InterfaceState } from '../native/index.js'
import type { BridgeStats, DeviceInfo } from '../engine/bridge.js'
import { FRAMING_ERROR_KINDS, FRAMING_ERROR_TEXT, type CountersSnapshot } from '../engine/counters.js'
import type { LinkState } from '../engine/transport/index.js'
import { formatBytes, formatPercent, formatRate } from './format.js'

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
  return `device ${device.mac ?? 'MAC not seen yet'}${device.ipv4 ? ` ${device.ipv4}` : ''}`
}

/** The line rewritten in place every second: what changes. Where things are was logged once. */
export function statusLine(stats: BridgeStats): string {
  const r = stats.rates.window1s
  const c = stats.counters
  const errors = FRAMING_ERROR_KINDS.reduce((sum, k) => sum + c.framingErrors[k], 0)
  const drops = Object.values(c.drops).reduce((sum, n) => sum + n, 0)
  return [
    stats.tunStatus === 'up' ? stats.link.status : `${stats.link.status}, TUN ${stats.tunStatus}`,
    `device ${stats.device.ipv4 ?? stats.device.mac ?? 'not seen'}`,
    `→dev ${c.toDevice.frames} fr ${formatRate(r.toDevice.bytesPerSecond)} ${formatPercent(r.toDevice.utilization)}`,
    `←dev ${c.fromDevice.frames} fr ${formatRate(r.fromDevice.bytesPerSecond)} ${formatPercent(r.fromDevice.utilization)}`,
    `framing errors ${errors} (${formatBytes(c.bytesSkipped)} skipped)`,
    `drops ${drops}`
  ].join(' · ')
}

export function describeTun(tun: InterfaceState, created: boolean): string {
  return `${tun.name} ${tun.address ?? 'no address'}/${tun.prefixLength ?? '-'} mtu ${tun.mtu} ${tun.up ? 'up' : 'DOWN'} (${created ? 'created' : 'attached'})`
}

/** Nonzero entries as "name n, name n", or "none". */
function nonZero(entries: [string, number][]): string {
  const shown = entries.filter(([, n]) => n > 0).map(([name, n]) => `${name} ${n}`)
  return shown.length > 0 ? shown.join(', ') : 'none'
}

export function finalReport(c: CountersSnapshot): string {
  const errors = FRAMING_ERROR_KINDS.reduce((sum, k) => sum + c.framingErrors[k], 0)
  const drops = Object.values(c.drops).reduce((sum, n) => sum + n, 0)
  return [
    `to device:      ${c.toDevice.frames} frames, ${c.toDevice.bytes} bytes (${c.proxyArpReplies} proxy ARP replies)`,
    `from device:    ${c.fromDevice.frames} frames, ${c.fromDevice.bytes} bytes`,
    `framing errors: ${errors} (${nonZero(FRAMING_ERROR_KINDS.map((k) => [FRAMING_ERROR_TEXT[k], c.framingErrors[k]]))}); ${c.bytesSkipped} bytes skipped`,
    `drops:          ${drops} (${nonZero(Object.entries(c.drops))})`,
    `reconnects:     ${c.reconnects}`
  ].join('\n')
}
