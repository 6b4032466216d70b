// A capture of several devices: each record belongs to a device port with its
// own framing, and each port is a pcapng interface of its own (one Interface
// Description Block per port, named after it; a packet block names its port).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { CaptureRing, Direction, MAX_CAPTURE_PORTS, type CapturePort, type CaptureRecordView } from '../../src/engine/capture/ring'
import { FramingError } from '../../src/engine/counters'
import { esp32Framing } from '../../src/engine/framing/esp32'
import { DEFAULT_FRAMING, framingCode, framingFor } from '../../src/engine/framing/index'
import { qemuFraming } from '../../src/engine/framing/qemu'
import { encodeSlip, slipEncodedMax, slipIpFraming } from '../../src/engine/framing/slip'
import { FrameFeed } from '../../src/service/frameFeed'
import { FrameBatchWriter, readFrameBatch } from '../../src/shared/frameBatch'
import { deviceUdpFrame } from '../helpers/frames'
import { BLOCK_EPB, optionText, parseEnhancedPacket, parsePcapng, splitBlockRun } from './pcapngFile'
import { requireTshark, skipTshark, tsharkFields, tsharkTitleNote } from './tshark'
import { writeRingFile } from './ringFile'

const IF_NAME = 2
const IF_DESCRIPTION = 3
const OPT_COMMENT = 1

/** An Ethernet frame (port 0, esp32) and the IPv4 packet inside it (port 1, SLIP carrying bare IP). */
const frame = deviceUdpFrame(new TextEncoder().encode('hello, two ports'))
const packet = frame.subarray(14)

const PORTS: CapturePort[] = [
  { name: 'esp32-a', description: 'ESP32 UART tunnel via /tmp/a.sock', framing: esp32Framing },
  { name: 'slip-b', description: 'SLIP (IP) via /dev/ttyUSB0', framing: slipIpFraming }
]

/** frame with its 2-byte big-endian length in front, as the esp32 port's records come. */
function esp32Record(bytes: Uint8Array): Uint8Array {
  const record = new Uint8Array(2 + bytes.length)
  esp32Framing.header.write(record, 0, bytes.length)
  record.set(bytes, 2)
  return record
}

function slipWireLength(bytes: Uint8Array): number {
  return encodeSlip(bytes, 0, bytes.length, new Uint8Array(slipEncodedMax(bytes.length)), 0)
}

/** Records alternating between the two ports, a framing error on port 1 among them. */
function twoPortRing(): CaptureRing {
  const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 64 })
  ring.setPorts(PORTS)
  const record = esp32Record(frame)
  ring.append(1, Direction.fromDevice, 0, record, 0, record.length, record.length, 0)
  ring.append(2, Direction.toDevice, 0, packet, 0, packet.length, slipWireLength(packet), 1)
  ring.append(3, Direction.fromDevice, FramingError.slipEscape, Uint8Array.of(0xdb, 0x41), 0, 2, 2, 1)
  ring.append(4, Direction.toDevice, 0, record, 0, record.length, record.length, 0)
  ring.append(5, Direction.fromDevice, 0, packet, 0, packet.length, slipWireLength(packet), 1)
  return ring
}

interface Seen {
  port: number
  framing: number
  headerBytes: number
  error: number
  bytes: number[]
}

function readAll(ring: CaptureRing): Seen[] {
  const seen: Seen[] = []
  ring.read(0, ring.head, (r: CaptureRecordView) => seen.push({ port: r.port, framing: r.framing, headerBytes: r.headerBytes, error: r.error, bytes: Array.from(r.bytes) }))
  return seen
}

/** The packet blocks readBlocks hands out for frame records: [interface id, captured length, original length]. */
function blocks(ring: CaptureRing): number[][] {
  const out: number[][] = []
  ring.readBlocks(0, ring.head, (data, start, end) => {
    for (const b of splitBlockRun(data.slice(start, end))) {
      expect(b.type).toBe(BLOCK_EPB)
      const p = parseEnhancedPacket(b)
      out.push([p.interfaceId, p.capturedLength, p.originalLength])
    }
  }, () => {})
  return out
}

/** frame.protocols up to the transport ('eth:ethertype:ip:udp'; what follows depends on the UDP port). */
const upToUdp = (protocols: string): string => protocols.replace(/(:udp):.*$/, '$1')

let tempDir = ''
beforeAll(() => {
  tempDir = mkdtempSync(join(tmpdir(), 'tunscope-ports-'))
})
afterAll(() => {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true })
})

/** The ring written whole to a file, through a file descriptor. */
const writeFile = (ring: CaptureRing, name: string): Promise<string> => writeRingFile(ring, tempDir, name, 0)

describe('CaptureRing: ports', () => {
  it('starts with one port, uart1, in the default framing, described by its title', () => {
    const ring = new CaptureRing({ dataBytes: 1024, maxRecords: 4 })
    const framing = framingFor(DEFAULT_FRAMING)
    expect(ring.ports).toEqual([{ name: 'uart1', description: framing.title, framing }])
    expect(ring.framing).toBe(framing)
  })

  it('setting framing makes the port table one port in that framing (as for one device)', () => {
    const ring = new CaptureRing({ dataBytes: 1024, maxRecords: 4 })
    ring.setPorts(PORTS)
    ring.framing = qemuFraming
    expect(ring.ports).toEqual([{ name: 'uart1', description: qemuFraming.title, framing: qemuFraming }])
    expect(ring.framing).toBe(qemuFraming)
  })

  it('setPorts keeps its own copy: changing the array given afterwards changes nothing', () => {
    const ring = new CaptureRing({ dataBytes: 1024, maxRecords: 4 })
    const ports = PORTS.map((p) => ({ ...p }))
    ring.setPorts(ports)
    ports[1]!.framing = qemuFraming
    ports.push({ ...PORTS[0]! })
    expect(ring.ports).toEqual(PORTS)
    expect(() => ring.append(1, Direction.fromDevice, 0, packet, 0, packet.length, packet.length, 2)).toThrow(RangeError)
  })

  it('each record keeps its own port, framing and record header width; a frame EPB names its port as its interface', () => {
    const ring = twoPortRing()
    const record = Array.from(esp32Record(frame))
    expect(readAll(ring)).toEqual([
      { port: 0, framing: framingCode(esp32Framing), headerBytes: 2, error: 0, bytes: record },
      { port: 1, framing: framingCode(slipIpFraming), headerBytes: 0, error: 0, bytes: Array.from(packet) },
      { port: 1, framing: framingCode(slipIpFraming), headerBytes: 0, error: FramingError.slipEscape, bytes: [0xdb, 0x41] },
      { port: 0, framing: framingCode(esp32Framing), headerBytes: 2, error: 0, bytes: record },
      { port: 1, framing: framingCode(slipIpFraming), headerBytes: 0, error: 0, bytes: Array.from(packet) }
    ])
    // The SLIP port encodes: its original length is the packet's, not its (longer) wire bytes.
    expect(blocks(ring)).toEqual([[0, frame.length, frame.length], [1, packet.length, packet.length], [0, frame.length, frame.length], [1, packet.length, packet.length]])
  })

  it('refuses a port table of no ports, of more than 255, or with a record header wider than the ring lends, and keeps the old one', () => {
    const ring = new CaptureRing({ dataBytes: 1024, maxRecords: 4 })
    ring.setPorts(PORTS)
    expect(() => ring.setPorts([])).toThrow(RangeError)
    expect(() => ring.setPorts(Array.from({ length: MAX_CAPTURE_PORTS + 1 }, () => PORTS[0]!))).toThrow(RangeError)
    const wide = { ...esp32Framing, header: { bytes: 5, write: () => {} } }
    expect(() => ring.setPorts([{ name: 'wide', description: '', framing: wide }])).toThrow(RangeError)
    expect(ring.ports).toEqual(PORTS)
    ring.setPorts(Array.from({ length: MAX_CAPTURE_PORTS }, (_, i) => ({ ...PORTS[1]!, name: `p${i}` })))
    ring.append(1, Direction.fromDevice, 0, packet, 0, packet.length, packet.length, MAX_CAPTURE_PORTS - 1)
    expect(readAll(ring).map((r) => r.port)).toEqual([254])
  })
})

describe('CaptureRing: a port out of range', () => {
  it('is refused with a RangeError (frame and framing-error records alike), and the ring goes on as if it was never asked', () => {
    const ring = twoPortRing()
    const before = readAll(ring)
    const head = ring.head
    const record = esp32Record(frame)
    for (const port of [2, 255, 256, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 32]) {
      expect(() => ring.append(9, Direction.fromDevice, 0, record, 0, record.length, record.length, port), `port ${port}`).toThrow(RangeError)
      expect(() => ring.append(9, Direction.fromDevice, FramingError.tooLong, record, 0, record.length, record.length, port), `port ${port}`).toThrow(RangeError)
    }
    expect(ring.head).toBe(head)
    expect(readAll(ring)).toEqual(before)
    ring.append(10, Direction.fromDevice, 0, record, 0, record.length, record.length, 0)
    expect(readAll(ring)).toEqual([...before, before[0]])
    expect(blocks(ring).at(-1)).toEqual([0, frame.length, frame.length])
  })
})

describe('pcapng from a ring of two ports (own reader)', () => {
  it('has one interface per port, by its payload (Ethernet 1, raw IP 101), named and described as the port; each packet on its port', async () => {
    const file = await writeFile(twoPortRing(), 'two-ports.pcapng')
    const { idbs, packets } = parsePcapng(readFileSync(file))
    expect(idbs.map((d) => [d.linkType, optionText(d.options, IF_NAME), optionText(d.options, IF_DESCRIPTION)])).toEqual([
      [1, PORTS[0]!.name, PORTS[0]!.description],
      [101, PORTS[1]!.name, PORTS[1]!.description]
    ])
    expect(packets.map((p) => p.interfaceId)).toEqual([0, 1, 1, 0, 1])
    expect(optionText(packets[2]!.options, OPT_COMMENT)).toMatch(/^UART framing error: /)
  })

  it('writes the interfaces of the ports as they were when the writer started', async () => {
    const ring = new CaptureRing({ dataBytes: 1024, maxRecords: 4 })
    ring.framing = slipIpFraming
    const { idbs } = parsePcapng(readFileSync(await writeFile(ring, 'one-port.pcapng')))
    expect(idbs.map((d) => [d.linkType, optionText(d.options, IF_NAME), optionText(d.options, IF_DESCRIPTION)])).toEqual([[101, 'uart1', 'SLIP (IP)']])
  })
})

describe.skipIf(skipTshark)(`pcapng from a ring of two ports, read by tshark${tsharkTitleNote}`, () => {
  it('shows two interfaces with the ports\' names, each frame on its port, Ethernet decoded as eth and bare IP as ip', async () => {
    requireTshark()
    const file = await writeFile(twoPortRing(), 'two-ports-tshark.pcapng')
    const t = tsharkFields(file, ['frame.interface_id', 'frame.interface_name', 'frame.interface_description', 'frame.protocols', '_ws.malformed'])
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    const eth = ['0', PORTS[0]!.name, PORTS[0]!.description, 'eth:ethertype:ip:udp', '']
    const ip = ['1', PORTS[1]!.name, PORTS[1]!.description, 'raw:ip:udp', '']
    const error = ['1', PORTS[1]!.name, PORTS[1]!.description, 'raw', ''] // the framing error: an empty packet with a comment
    expect(t.rows.map(([id, name, description, protocols, malformed]) => [id, name, description, upToUdp(protocols!), malformed])).toEqual([eth, ip, error, eth, ip])
  })

  it('reads a file whose port names are non-ASCII, 300 characters long, or longer than an option holds', async () => {
    requireTshark()
    const long = 'Gerät ü 设备 🛰 '.repeat(30).slice(0, 300)
    const huge = '🛰'.repeat(20_000) // 80 000 bytes of UTF-8: cut to what a pcapng option holds, at a character boundary
    const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 64 })
    ring.setPorts([
      { name: long, description: `${long} \u0000 nul`, framing: esp32Framing },
      { name: huge, description: huge, framing: slipIpFraming }
    ])
    const record = esp32Record(frame)
    ring.append(1, Direction.fromDevice, 0, record, 0, record.length, record.length, 0)
    ring.append(2, Direction.fromDevice, 0, packet, 0, packet.length, packet.length, 1)
    const file = await writeFile(ring, 'odd-names.pcapng')
    const { idbs } = parsePcapng(readFileSync(file))
    expect(long).toHaveLength(300)
    expect(optionText(idbs[0]!.options, IF_NAME)).toBe(long)
    const cut = optionText(idbs[1]!.options, IF_NAME)!
    expect(cut.length).toBeGreaterThan(0)
    expect(huge.startsWith(cut)).toBe(true)
    expect(new TextEncoder().encode(cut).length).toBeLessThanOrEqual(0xffff)
    const t = tsharkFields(file, ['frame.interface_id', 'frame.interface_name', 'frame.protocols'])
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    const named = (name: string): string => (name === long ? 'the 300 characters' : name === cut ? 'the cut name' : `another name, ${name.length} characters`)
    expect(t.rows.map(([id, name, protocols]) => [id, named(name!), upToUdp(protocols!)])).toEqual([['0', 'the 300 characters', 'eth:ethertype:ip:udp'], ['1', 'the cut name', 'raw:ip:udp']])
  })
})

describe('frame batches carry the port', () => {
  it('a batch round trip keeps each record\'s port (0 to 254)', () => {
    const writer = new FrameBatchWriter()
    const ports = [0, 1, 7, 254]
    for (const [i, port] of ports.entries()) writer.add(i, i, 0, 0, 3, framingCode(esp32Framing), port, Uint8Array.of(0, 1, i), 0, 3)
    const got: [number, number, number[]][] = []
    expect(readFrameBatch(writer.take(), (r) => got.push([r.seq, r.port!, Array.from(r.data.subarray(r.offset, r.offset + r.length))]))).toBe(4)
    expect(got).toEqual(ports.map((port, i) => [i, port, [0, 1, i]]))
  })

  it('the feed passes each record\'s port from the ring to the UI', () => {
    const ring = twoPortRing()
    const got: [number, number][] = []
    new FrameFeed({ sendFrames: (batch) => void readFrameBatch(batch, (r) => got.push([r.port!, r.framing!])), backlog: () => 0 }, ring).tick(ring)
    expect(got).toEqual(readAll(ring).map((r) => [r.port, r.framing]))
    expect(got.map(([port]) => port)).toEqual([0, 1, 1, 0, 1])
  })
})
