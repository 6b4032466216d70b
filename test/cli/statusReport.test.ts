// What `tunscope bridge` prints: the status line fitted to the terminal by
// shortening its fields, never by cutting its end off, and the final counters
// in the words the UI uses.
import { describe, expect, it } from 'vitest'

import { describeTun, finalReport, statusLine } from '../../src/cli/statusReport.js'
import { framingFor } from '../../src/engine/framing/index.js'
import type { BridgeStats, DeviceStats } from '../../src/engine/bridge.js'
import { Counters } from '../../src/engine/counters.js'
import { newDhcpServerCounters } from '../../src/engine/services/dhcpServer.js'

const rate = (bytesPerSecond: number) => ({ bytesPerSecond, framesPerSecond: bytesPerSecond / 1502, utilization: bytesPerSecond / 11_520 })

function stats(shape: 'busy' | 'worst'): BridgeStats {
  const counters = new Counters()
  counters.toDevice.frames = shape === 'worst' ? 12_345_678 : 4_321
  counters.toDevice.bytes = 2_000_000
  counters.fromDevice.frames = shape === 'worst' ? 98_765_432 : 1_234
  counters.fromDevice.bytes = 1_800_000
  counters.framingErrors.tooLong = shape === 'worst' ? 123_456 : 17
  counters.framingErrors.zeroLength = 2
  counters.bytesSkipped = shape === 'worst' ? 987_654_321 : 63_210
  counters.drops.noLink = shape === 'worst' ? 54_321 : 7
  counters.drops.tunWriteError = 2
  const device: DeviceStats = {
    name: 'esp32-uart1',
    framing: 'esp32',
    payload: 'ethernet',
    dhcp: null,
    link: { status: shape === 'worst' ? 'reconnecting' : 'connected', endpoint: '/home/me/firmware/temp/esp32-uart1.sock', attempt: 12, connections: 3, detail: null },
    device: shape === 'worst' ? { mac: '02:00:00:00:00:02', ipv4: null, conflict: null } : { mac: '02:00:00:00:00:02', ipv4: '192.168.100.2', conflict: null },
    counters: counters.snapshot(),
    rates: { window1s: { toDevice: rate(11_520), fromDevice: rate(11_406) }, window10s: { toDevice: rate(11_000), fromDevice: rate(11_000) } },
    baud: 115_200,
    lineBytesPerSecond: 11_520
  }
  return {
    ...device,
    leases: null,
    tun: null,
    tunStatus: shape === 'worst' ? 'missing' : 'up',
    tunProblem: null,
    tunWriteError: null,
    devices: [device],
    userNet: null
  }
}

/** Each field by what it must say at any width. */
function expectEveryField(line: string, s: BridgeStats): void {
  const c = s.counters
  expect(line).toMatch(s.link.status === 'connected' ? /^conn/ : /^retry|^reconnecting/)
  if (s.tunStatus !== 'up') expect(line).toContain(`TUN ${s.tunStatus}`)
  expect(line).toMatch(s.device.ipv4 ? /192\.168\.100\.2/ : /00:00:02/)
  expect(line).toMatch(/→ ?(dev )?([\d.]+[kM]? .*)?100%/)
  expect(line).toMatch(/← ?(dev )?([\d.]+[kM]? .*)?99%/)
  const errors = c.framingErrors.tooLong + c.framingErrors.zeroLength
  expect(line).toMatch(new RegExp(`err\\D* (${errors}|123k)\\b`))
  const drops = c.drops.noLink + c.drops.tunWriteError
  expect(line).toMatch(new RegExp(`drops? (${drops}|54\\.3k)$`))
}

describe('the status line', () => {
  it.each([60, 80, 100, 200])('fits a busy link into %i columns with every field', (width) => {
    const s = stats('busy')
    const line = statusLine(s, width)
    expect(line.length).toBeLessThanOrEqual(width)
    expectEveryField(line, s)
  })

  it.each([60, 80, 100, 200])('fits the longest figures into %i columns with every field', (width) => {
    const s = stats('worst')
    const line = statusLine(s, width)
    expect(line.length).toBeLessThanOrEqual(width)
    expectEveryField(line, s)
  })

  it('says everything in words when there is room', () => {
    expect(statusLine(stats('busy'), 200)).toBe(
      'connected · device 192.168.100.2 · →dev 4321 fr 11.5 kB/s 100% · ←dev 1234 fr 11.4 kB/s 99% · framing errors 19 (63.2 kB skipped) · drops 9'
    )
  })

  it('shortens fields before it would cut (80 columns)', () => {
    const line = statusLine(stats('busy'), 80)
    expect(line).toBe('connected · 192.168.100.2 · →4321 100% · ←1234 99% · err 19/63.2k · drops 9')
    expect(statusLine(stats('busy'), 100)).toBe('connected · 192.168.100.2 · → 4321 11.5k/s 100% · ← 1234 11.4k/s 99% · err 19 (63.2k) · drops 9')
    expect(statusLine(stats('busy'), 60)).toBe('conn 192.168.100.2 →4321 100% ←1234 99% err 19 drop 9')
  })

  it('names a framing other than the ESP32 tunnel, at every width', () => {
    const s = { ...stats('busy'), framing: 'qemu' as const }
    expect(statusLine(s, 200)).toBe(
      'connected · framing qemu · device 192.168.100.2 · →dev 4321 fr 11.5 kB/s 100% · ←dev 1234 fr 11.4 kB/s 99% · framing errors 19 (63.2 kB skipped) · drops 9'
    )
    for (const width of [60, 80, 100]) {
      const line = statusLine(s, width)
      expect(line.length).toBeLessThanOrEqual(width)
      expect(line).toMatch(/^conn\w* (· )?qemu /)
      expectEveryField(line, s)
    }
  })
})

describe('the final report', () => {
  it('names drop causes as the UI does, and says what came before the device apart from drops', () => {
    const c = stats('busy').counters
    c.beforeDevice = 1
    const report = finalReport(c)
    expect(report.split('\n')).toContain('drops:          9 (no UART link 7, refused by the host side 2); 1 packet before the device connected (not a drop)')
    expect(report.split('\n')).toHaveLength(5)
    expect(report).not.toMatch(/noLink|tunWriteError|beforeDevice/)
  })

  it('names a framing other than the ESP32 tunnel first', () => {
    const c = stats('busy').counters
    expect(finalReport(c, framingFor('esp32'))).toBe(finalReport(c))
    const report = finalReport(c, framingFor('qemu')).split('\n')
    expect(report[0]).toBe('framing:        qemu: QEMU stream')
    expect(report.slice(1)).toEqual(finalReport(c).split('\n'))
    expect(finalReport(c, framingFor('slip', 'ip')).split('\n')[0]).toBe('framing:        slip: SLIP (IP)')
  })

  it("says what the bridge sent on its own and the text it did not forward, only when there was some", () => {
    const c = stats('busy').counters
    const plain = finalReport(c).split('\n')
    Object.assign(c, { arpProbes: 2, textFromDevice: 3 })
    const report = finalReport(c).split('\n')
    expect(report[0]).toBe(`${plain[0]!.slice(0, -1)}, 2 ARP probes for its MAC)`)
    expect(finalReport({ ...c, arpProbes: 1 }).split('\n')[0]).toBe(`${plain[0]!.slice(0, -1)}, 1 ARP probe for its MAC)`)
    expect(report[1]).toBe(`${plain[1]}; 3 text lines (tunslip6's, not forwarded)`)
  })

  it("ends with the DHCP server's answers on one line when --dhcp is on", () => {
    const c = stats('busy').counters
    const dhcp = newDhcpServerCounters()
    expect(finalReport(c, framingFor('esp32'), dhcp).split('\n')).toEqual([...finalReport(c).split('\n'), 'DHCP:           0 offers, 0 ACKs, 0 NAKs, 0 releases, 0 declines; 0 ignored'])
    Object.assign(dhcp, { offers: 2, acks: 3, naks: 1, releases: 1 })
    Object.assign(dhcp.ignored, { malformed: 4, otherClient: 1 })
    const last = finalReport(c, framingFor('qemu'), dhcp).split('\n').at(-1)
    expect(last).toBe('DHCP:           2 offers, 3 ACKs, 1 NAKs, 1 releases, 0 declines; 5 ignored (malformed 4, other client 1)')
    expect(finalReport(c, framingFor('esp32'), null)).toBe(finalReport(c))
  })
})

describe('describeTun', () => {
  it('names the kind of device it made or attached to', () => {
    const state = { name: 'tap0', index: 3, mtu: 1500, up: true, kind: 'tap' as const, driver: 'tun', address: '192.168.100.1', prefixLength: 24 }
    expect(describeTun(state, true)).toBe('TAP tap0 192.168.100.1/24 mtu 1500 up (created)')
    expect(describeTun({ ...state, name: 'tun0', kind: 'tun', mtu: 1486, up: false }, false)).toBe('TUN tun0 192.168.100.1/24 mtu 1486 DOWN (attached)')
  })
})
