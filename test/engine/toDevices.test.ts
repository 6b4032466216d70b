// The host's packets through the switch, over real unix sockets (the devices' ends read what the
// bridge writes): one device (where more may join) takes every packet as without the switch,
// whatever its address or IP version; with two, each packet goes to the device with its address,
// a broadcast to both, and IPv6 unicast to neither (counted); a device that never reads costs only
// its own bounded queue.
import { createServer, type Server, type Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Counters } from '../../src/engine/counters.js'
import { u32 } from '../../src/engine/decode/bytes.js'
import { DevicePort } from '../../src/engine/devicePort.js'
import { DeviceSwitch } from '../../src/engine/deviceSwitch.js'
import { esp32Framing } from '../../src/engine/framing/esp32.js'
import { ToDevicesPath } from '../../src/engine/toDevices.js'
import { DEVICE_IP, HOST_IP, ipv4, udp } from '../helpers/frames.js'

const GATEWAY_MAC = Uint8Array.of(2, 0, 0, 0, 0, 1)

/** A device's end of its socket: every byte the bridge writes to it. */
interface DeviceEnd {
  server: Server
  received: Buffer[]
  port: DevicePort
}

/** An IPv6 packet (no payload) to `last` in 2001:db8::/64. */
function ipv6To(last: number): Uint8Array {
  const p = new Uint8Array(40)
  p[0] = 0x60
  p[6] = 59 // no next header
  p[7] = 64
  p.set([0x20, 0x01, 0x0d, 0xb8], 24)
  p[39] = last
  return p
}

/** A TUN batch as the addon lays it out: each packet after its 2-byte length. */
function batch(packets: Uint8Array[]): Uint8Array {
  const b = new Uint8Array(64 * 1024)
  let at = 0
  for (const p of packets) {
    b[at] = p.length >> 8
    b[at + 1] = p.length & 0xff
    b.set(p, at + 2)
    at += 2 + p.length
  }
  return b
}

/** The records a device's end got (esp32 framing: a 2-byte length, then the frame). */
function records(end: DeviceEnd): Uint8Array[] {
  const all = Buffer.concat(end.received)
  const out: Uint8Array[] = []
  for (let at = 0; at + 2 <= all.length;) {
    const length = all.readUInt16BE(at)
    out.push(all.subarray(at + 2, at + 2 + length))
    at += 2 + length
  }
  return out
}

describe('the host side of the switch', () => {
  let work: string
  const ends: DeviceEnd[] = []

  /** A device's socket end; one that never reads lets the bridge's writes back up. */
  async function deviceEnd(name: string, deviceIp: Uint8Array | null, neverReads = false): Promise<DeviceEnd> {
    const path = join(work, `${name}.sock`)
    const received: Buffer[] = []
    const server = createServer((socket: Socket) => {
      if (neverReads) socket.pause()
      else socket.on('data', (d) => received.push(d))
    })
    await new Promise<void>((resolve) => server.listen(path, resolve))
    const port = new DevicePort({
      name, transport: { kind: 'unix-client', path }, framing: esp32Framing, maxFrame: 1500, baud: 115_200, defaultDeviceMac: Uint8Array.of(2, 0, 0, 0, 0, 2),
      capture: null, capturePort: 0, tap: false, gatewayMac: GATEWAY_MAC, deviceIp, hostIp: HOST_IP, prefixLength: 24, probesForMac: false,
      slipPrefix: null, dhcp: null, toOtherDevices: null, toOtherDevicesL2: null, addressTaken: () => false
    }, { link: () => {}, device: () => {}, fatal: () => {} })
    port.start()
    await expect.poll(() => port.connected).toBe(true)
    const end = { server, received, port }
    ends.push(end)
    return end
  }

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'tunscope-todevices-'))
  })

  afterAll(async () => {
    for (const end of ends) {
      await end.port.stop()
      end.server.close()
    }
    rmSync(work, { recursive: true, force: true })
  })

  it('gives one device every packet, whatever its address and IP version, as without the switch', async () => {
    const alone = await deviceEnd('alone', DEVICE_IP)
    const counters = new Counters()
    const ports = [alone.port]
    const path = new ToDevicesPath(new DeviceSwitch(ports, u32(HOST_IP, 0), 24, counters), counters, batch([
      ipv4(HOST_IP, DEVICE_IP, 17, udp(1, 2, new Uint8Array(4))),
      ipv4(HOST_IP, Uint8Array.of(192, 168, 100, 5), 17, udp(1, 2, new Uint8Array(4))), // not its configured address
      ipv6To(5)
    ]), 16)
    path.onTunBatch(3)
    await expect.poll(() => records(alone).length).toBe(3)
    expect(counters.drops.noDevice).toBe(0)
  })

  it('with two, each packet to the device with its address, a broadcast to both, IPv6 unicast to neither (counted)', async () => {
    const a = await deviceEnd('a', Uint8Array.of(192, 168, 100, 7))
    const b = await deviceEnd('b', Uint8Array.of(192, 168, 100, 8))
    const counters = new Counters()
    const sw = new DeviceSwitch([a.port, b.port], u32(HOST_IP, 0), 24, counters)
    const path = new ToDevicesPath(sw, counters, batch([
      ipv4(HOST_IP, Uint8Array.of(192, 168, 100, 7), 17, udp(1, 2, new Uint8Array(4))),
      ipv4(HOST_IP, Uint8Array.of(192, 168, 100, 8), 17, udp(1, 2, new Uint8Array(5))),
      ipv4(HOST_IP, Uint8Array.of(192, 168, 100, 255), 17, udp(1, 2, new Uint8Array(6))),
      ipv6To(5)
    ]), 16)
    path.onTunBatch(4)
    await expect.poll(() => [records(a).length, records(b).length]).toEqual([2, 2])
    // Ethernet header (14) + IPv4 (20) + UDP (8) + payload: each got its own and the broadcast.
    expect(records(a).map((r) => r.length)).toEqual([46, 48])
    expect(records(b).map((r) => r.length)).toEqual([47, 48])
    expect(counters.drops.noDevice).toBe(1)
    sw.held.clear()
  })

  it('a device that never reads costs its own bounded queue and drops, counted; the other still gets every packet', async () => {
    const stuck = await deviceEnd('stuck', Uint8Array.of(192, 168, 100, 9), true)
    const reading = await deviceEnd('reading', Uint8Array.of(192, 168, 100, 10))
    const counters = new Counters()
    const sw = new DeviceSwitch([stuck.port, reading.port], u32(HOST_IP, 0), 24, counters)
    const payload = new Uint8Array(1400)
    const packets = [ipv4(HOST_IP, Uint8Array.of(192, 168, 100, 9), 17, udp(1, 2, payload)), ipv4(HOST_IP, Uint8Array.of(192, 168, 100, 10), 17, udp(1, 2, payload))]
    const path = new ToDevicesPath(sw, counters, batch(packets), 16)
    const BATCHES = 2000 // 2000 × 1.4 kB to the stuck device: far beyond its 256 KiB bound
    for (let i = 0; i < BATCHES; i++) {
      path.onTunBatch(2)
      if (i % 20 === 0) await new Promise((r) => setImmediate(r)) // let the reading end drain
    }
    await expect.poll(() => records(reading).length, { timeout: 10_000 }).toBe(BATCHES)
    expect(stuck.port.counters.drops.backPressure).toBeGreaterThan(0)
    expect(reading.port.counters.drops.backPressure).toBe(0)
    expect(stuck.port.transport.queuedBytes).toBeLessThan(400 * 1024)
  })
})
