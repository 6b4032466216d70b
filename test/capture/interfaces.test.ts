// The ring's interface table outlives the ports: the engine service keeps one
// ring across bridge restarts (each Start sets the ports again), so a record
// names the interface (device port as it was then: name, description,
// framing) it came in on, the table only grows while records name it, and an
// export from the tail describes every interface its records name, with the
// link type they came in.
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { PcapngWriter } from '../../src/engine/capture/pcapngWriter'
import { CaptureRing, Direction, MAX_CAPTURE_INTERFACES, type CapturePort, type CaptureRecordView, type DirectionCode } from '../../src/engine/capture/ring'
import { FramingError } from '../../src/engine/counters'
import { esp32Framing } from '../../src/engine/framing/esp32'
import { framingCode } from '../../src/engine/framing/index'
import { encodeSlip, slipEncodedMax, slipEthernetFraming, slipIpFraming } from '../../src/engine/framing/slip'
import { FrameFeed } from '../../src/service/frameFeed'
import { readFrameBatch } from '../../src/shared/frameBatch'
import { deviceUdpFrame } from '../helpers/frames'
import {
  BLOCK_EPB, BLOCK_IDB, BLOCK_SHB, optionText, parseEnhancedPacket, parseInterfaceDescription, parsePcapng, splitBlocks,
  type EnhancedPacket, type InterfaceDescription
} from './pcapngFile'
import { requireTshark, skipTshark, tsharkFields, tsharkTitleNote } from './tshark'
import { writeRingFile } from './ringFile'

const IF_NAME = 2
const LINKTYPE_ETHERNET = 1
const LINKTYPE_RAW = 101

const frame = deviceUdpFrame(new TextEncoder().encode('hello, interfaces'))
const packet = frame.subarray(14)

const ESP32: CapturePort = { name: 'esp32-a', description: 'ESP32 UART tunnel via /tmp/a.sock', framing: esp32Framing }
const SLIP_IP: CapturePort = { name: 'slip-b', description: 'SLIP (IP) via /dev/ttyUSB0', framing: slipIpFraming }
/** The SLIP device again, switched to carry Ethernet. */
const SLIP_ETH: CapturePort = { name: 'slip-b', description: 'SLIP (Ethernet) via /dev/ttyUSB0', framing: slipEthernetFraming }

function esp32Record(bytes: Uint8Array): Uint8Array {
  const record = new Uint8Array(2 + bytes.length)
  esp32Framing.header.write(record, 0, bytes.length)
  record.set(bytes, 2)
  return record
}

const slipWireLength = (bytes: Uint8Array): number => encodeSlip(bytes, 0, bytes.length, new Uint8Array(slipEncodedMax(bytes.length)), 0)

/** Appends a frame record as `port`'s framing has it (esp32: length header then frame; SLIP: the frame or packet). */
function appendOn(ring: CaptureRing, port: number, time: number, direction: DirectionCode = Direction.fromDevice): void {
  const framing = ring.ports[port]!.framing
  if (framing === esp32Framing) {
    const record = esp32Record(frame)
    ring.append(time, direction, 0, record, 0, record.length, record.length, port)
  } else {
    const bytes = framing.payload === 'ip' ? packet : frame
    ring.append(time, direction, 0, bytes, 0, bytes.length, slipWireLength(bytes), port)
  }
}

interface Seen {
  seq: number
  interface: number
  port: number
  name: string
  framing: number
}

function readAll(ring: CaptureRing): Seen[] {
  const seen: Seen[] = []
  ring.read(0, ring.head, (r: CaptureRecordView) =>
    seen.push({ seq: r.seq, interface: r.interface, port: r.port, name: ring.interfaces[r.interface]!.name, framing: r.framing }))
  return seen
}

let tempDir = ''
beforeAll(() => {
  tempDir = mkdtempSync(join(tmpdir(), 'tunscope-interfaces-'))
})
afterAll(() => {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true })
})

/** What the app's Export does: a writer from the ring's tail, closed at once. */
const exportFile = (ring: CaptureRing, name: string): Promise<string> => writeRingFile(ring, tempDir, name, ring.tail)

interface Section {
  idbs: InterfaceDescription[]
  packets: EnhancedPacket[]
}

/**
 * A file of one or more sections, checked as a reader must: every packet names
 * an interface its section described before it.
 */
function sections(file: Uint8Array): Section[] {
  const out: Section[] = []
  for (const block of splitBlocks(file)) {
    if (block.type === BLOCK_SHB) {
      out.push({ idbs: [], packets: [] })
      continue
    }
    const section = out.at(-1)
    if (!section) throw new Error('a block before the first section header')
    if (block.type === BLOCK_IDB) section.idbs.push(parseInterfaceDescription(block))
    else if (block.type === BLOCK_EPB) {
      const p = parseEnhancedPacket(block)
      if (p.interfaceId >= section.idbs.length) throw new Error(`packet at ${block.offset} names interface ${p.interfaceId}; its section described ${section.idbs.length} so far`)
      section.packets.push(p)
    } else throw new Error(`unexpected block type 0x${block.type.toString(16)}`)
  }
  return out
}

/** frame.protocols up to the transport. */
const upToUdp = (protocols: string): string => protocols.replace(/(:udp):.*$/, '$1')

/** Each interface: [link type, if_name]. */
const described = (idbs: InterfaceDescription[]): [number, string | undefined][] => idbs.map((d) => [d.linkType, optionText(d.options, IF_NAME)])

describe('CaptureRing: the interface table', () => {
  it('setPorts again with the same ports adds no interface; the export from the tail has one interface description', async () => {
    const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 64 })
    ring.setPorts([ESP32])
    appendOn(ring, 0, 1)
    const generation = ring.interfaceGeneration
    ring.setPorts([{ ...ESP32 }]) // equal, not the same object: as each Start makes them
    appendOn(ring, 0, 2)
    expect(ring.interfaces).toEqual([ESP32])
    expect(ring.interfaceGeneration).toBe(generation)
    expect(ring.portInterface(0)).toBe(0)
    expect(readAll(ring).map((r) => r.interface)).toEqual([0, 0])
    const { idbs, packets } = parsePcapng(readFileSync(await exportFile(ring, 'same-ports.pcapng')))
    expect(described(idbs)).toEqual([[LINKTYPE_ETHERNET, ESP32.name]])
    expect(packets.map((p) => p.interfaceId)).toEqual([0, 0])
  })

  it('reuses interfaces whatever the ports\' order, and adds one for a port that differs only in its framing', () => {
    const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 64 })
    ring.setPorts([ESP32, SLIP_IP])
    appendOn(ring, 1, 1)
    ring.setPorts([SLIP_IP, ESP32])
    expect([ring.portInterface(0), ring.portInterface(1)]).toEqual([1, 0])
    expect(ring.interfaces).toHaveLength(2)
    ring.setPorts([{ ...SLIP_IP, framing: slipEthernetFraming }])
    expect(ring.portInterface(0)).toBe(2)
    expect(ring.interfaces.map((i) => i.framing)).toEqual([esp32Framing, slipIpFraming, slipEthernetFraming])
  })

  it('two equal ports in one table are two interfaces (two devices), and stay two when set again', () => {
    const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 64 })
    ring.setPorts([ESP32, ESP32])
    appendOn(ring, 0, 1)
    appendOn(ring, 1, 2)
    ring.setPorts([ESP32, ESP32])
    appendOn(ring, 1, 3)
    expect(ring.interfaces).toEqual([ESP32, ESP32])
    expect(readAll(ring).map((r) => r.interface)).toEqual([0, 1, 1])
  })

  it('with no records kept, setPorts starts the table afresh (the ring\'s first port, uart1, is not left in the file)', async () => {
    const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 64 })
    expect(ring.interfaces.map((i) => i.name)).toEqual(['uart1'])
    const generation = ring.interfaceGeneration
    ring.setPorts([ESP32, SLIP_IP])
    expect(ring.interfaces).toEqual([ESP32, SLIP_IP])
    expect(ring.interfaceGeneration).toBe(generation + 1)
    appendOn(ring, 1, 1)
    const { idbs, packets } = parsePcapng(readFileSync(await exportFile(ring, 'fresh.pcapng')))
    expect(described(idbs)).toEqual([[LINKTYPE_ETHERNET, ESP32.name], [LINKTYPE_RAW, SLIP_IP.name]])
    expect(packets.map((p) => p.interfaceId)).toEqual([1])
  })

  it('a refused setPorts leaves the ports and the interface table as they were', () => {
    const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 64 })
    ring.setPorts([ESP32])
    appendOn(ring, 0, 1)
    const wide = { ...esp32Framing, header: { bytes: 5, write: () => {} } }
    expect(() => ring.setPorts([SLIP_IP, { name: 'wide', description: '', framing: wide }])).toThrow(RangeError)
    expect(() => ring.setPorts([])).toThrow(RangeError)
    expect(ring.ports).toEqual([ESP32])
    expect(ring.interfaces).toEqual([ESP32])
    expect(ring.tail).toBe(0)
  })
})

/** Two ports (esp32 Ethernet, SLIP bare IP) with records, then a restart with one port: the SLIP device now carries Ethernet. */
function restartedRing(): CaptureRing {
  const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 64 })
  ring.setPorts([ESP32, SLIP_IP])
  appendOn(ring, 0, 1)
  appendOn(ring, 1, 2, Direction.toDevice)
  ring.append(3, Direction.fromDevice, FramingError.slipEscape, Uint8Array.of(0xdb, 0x41), 0, 2, 2, 1)
  ring.setPorts([SLIP_ETH])
  appendOn(ring, 0, 4)
  appendOn(ring, 0, 5, Direction.toDevice)
  return ring
}

describe('a restart that shrinks the ports and switches a device from bare IP to Ethernet', () => {
  it('keeps the old interfaces and adds the new one; each record still names the device and framing it came in', () => {
    const ring = restartedRing()
    expect(ring.ports).toEqual([SLIP_ETH])
    expect(ring.interfaces).toEqual([ESP32, SLIP_IP, SLIP_ETH])
    expect(ring.portInterface(0)).toBe(2)
    const esp = framingCode(esp32Framing)
    const ip = framingCode(slipIpFraming)
    const eth = framingCode(slipEthernetFraming)
    expect(readAll(ring).map(({ interface: id, port, name, framing }) => [id, port, name, framing])).toEqual([
      [0, 0, 'esp32-a', esp],
      [1, 1, 'slip-b', ip],
      [1, 1, 'slip-b', ip],
      [2, 2, 'slip-b', eth],
      [2, 2, 'slip-b', eth]
    ])
  })

  it('the export from the tail describes three interfaces with their link types, and every packet names one of them', async () => {
    const ring = restartedRing()
    const { idbs, packets } = parsePcapng(readFileSync(await exportFile(ring, 'restarted.pcapng')))
    expect(described(idbs)).toEqual([[LINKTYPE_ETHERNET, 'esp32-a'], [LINKTYPE_RAW, 'slip-b'], [LINKTYPE_ETHERNET, 'slip-b']])
    expect(packets.map((p) => [p.interfaceId, p.capturedLength])).toEqual([
      [0, frame.length], [1, packet.length], [1, 0], [2, frame.length], [2, frame.length]
    ])
  })

  it('the frame feed gives the UI each record\'s interface id as its port byte', () => {
    const ring = restartedRing()
    const got: number[] = []
    new FrameFeed({ sendFrames: (batch) => void readFrameBatch(batch, (r) => got.push(r.port!)), backlog: () => 0 }, ring).tick(ring)
    expect(got).toEqual([0, 1, 1, 2, 2])
  })
})

describe.skipIf(skipTshark)(`a restarted ring's export, read by tshark${tsharkTitleNote}`, () => {
  it('reads it without complaint: the old bare-IP records decoded as ip, the old and new Ethernet ones as eth', async () => {
    requireTshark()
    const file = await exportFile(restartedRing(), 'restarted-tshark.pcapng')
    const t = tsharkFields(file, ['frame.interface_id', 'frame.interface_name', 'frame.interface_description', 'frame.protocols', '_ws.malformed'])
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    expect(t.rows.map(([id, name, description, protocols, malformed]) => [id, name, description, upToUdp(protocols!), malformed])).toEqual([
      ['0', 'esp32-a', ESP32.description, 'eth:ethertype:ip:udp', ''],
      ['1', 'slip-b', SLIP_IP.description, 'raw:ip:udp', ''],
      ['1', 'slip-b', SLIP_IP.description, 'raw', ''], // the framing error: an empty packet with a comment
      ['2', 'slip-b', SLIP_ETH.description, 'eth:ethertype:ip:udp', ''],
      ['2', 'slip-b', SLIP_ETH.description, 'eth:ethertype:ip:udp', '']
    ])
  })
})

/** Port i of the overflow test: a distinct name each, framings taking turns. */
const numbered = (i: number): CapturePort => (i % 2 === 0
  ? { name: `dev${i}`, description: `ESP32 UART tunnel #${i}`, framing: esp32Framing }
  : { name: `dev${i}`, description: `SLIP (IP) #${i}`, framing: slipIpFraming })

describe(`the interface table is bounded (${MAX_CAPTURE_INTERFACES})`, () => {
  /** 300 restarts, each with a port of its own and a record on it. */
  function churnedRing(): { ring: CaptureRing; clearedAt: number[] } {
    const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 1024 })
    const clearedAt: number[] = []
    for (let i = 0; i < 300; i++) {
      const head = ring.head
      const tail = ring.tail
      const generation = ring.interfaceGeneration
      ring.setPorts([numbered(i)])
      expect(ring.interfaces.length).toBeLessThanOrEqual(MAX_CAPTURE_INTERFACES)
      if (i > 0 && ring.interfaceGeneration !== generation) {
        clearedAt.push(i)
        expect(ring.tail).toBe(head) // every record let go, as if aged out
      } else {
        expect(ring.tail).toBe(tail) // nothing let go otherwise
      }
      appendOn(ring, 0, i)
    }
    return { ring, clearedAt }
  }

  it('fills to 255 interfaces, then lets go of the records and starts a fresh table; the ids of kept records always name their interface', () => {
    const { ring, clearedAt } = churnedRing()
    expect(clearedAt).toEqual([MAX_CAPTURE_INTERFACES])
    expect(ring.interfaces.map((i) => i.name)).toEqual(Array.from({ length: 300 - MAX_CAPTURE_INTERFACES }, (_, k) => `dev${MAX_CAPTURE_INTERFACES + k}`))
    expect(ring.tail).toBe(MAX_CAPTURE_INTERFACES)
    const seen = readAll(ring)
    expect(seen.map((r) => [r.seq, r.interface, r.name])).toEqual(seen.map((_, k) => [MAX_CAPTURE_INTERFACES + k, k, `dev${MAX_CAPTURE_INTERFACES + k}`]))
  })

  it('right before the overflow, the table is full and every record names its own interface', () => {
    const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 1024 })
    for (let i = 0; i < MAX_CAPTURE_INTERFACES; i++) {
      ring.setPorts([numbered(i)])
      appendOn(ring, 0, i)
    }
    expect(ring.interfaces).toHaveLength(MAX_CAPTURE_INTERFACES)
    expect(readAll(ring).map((r) => r.name)).toEqual(Array.from({ length: MAX_CAPTURE_INTERFACES }, (_, i) => `dev${i}`))
    // A port already in the table still fits.
    ring.setPorts([numbered(3)])
    expect(ring.portInterface(0)).toBe(3)
    expect(ring.tail).toBe(0)
  })

  it('the export after the overflow is valid: one interface per kept interface, every packet on one it describes', async () => {
    const { ring } = churnedRing()
    const file = await exportFile(ring, 'churned.pcapng')
    const { idbs, packets } = parsePcapng(readFileSync(file))
    expect(idbs).toHaveLength(300 - MAX_CAPTURE_INTERFACES)
    expect(described(idbs)).toEqual(ring.interfaces.map((i) => [i.framing.payload === 'ip' ? LINKTYPE_RAW : LINKTYPE_ETHERNET, i.name]))
    expect(packets.map((p) => p.interfaceId)).toEqual(idbs.map((_, k) => k))
    if (skipTshark) return
    const t = tsharkFields(file, ['frame.interface_id', 'frame.interface_name', 'frame.protocols'])
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    expect(t.rows.map(([id, name, protocols]) => [id, name, upToUdp(protocols!)])).toEqual(ring.interfaces.map((iface, k) =>
      [String(k), iface.name, iface.framing.payload === 'ip' ? 'raw:ip:udp' : 'eth:ethertype:ip:udp']))
  })
})

describe('a writer that follows the ring while the ports change', () => {
  async function followed(change: (ring: CaptureRing, writer: PcapngWriter) => void): Promise<{ file: string; overruns: number[] }> {
    const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 1024 })
    ring.setPorts([ESP32, SLIP_IP])
    appendOn(ring, 0, 1)
    const file = join(tempDir, `followed-${Math.random().toString(36).slice(2)}.pcapng`)
    const overruns: number[] = []
    const writer = new PcapngWriter(ring, { fd: openSync(file, 'w') }, { application: 'follow', from: 0, onOverrun: (n) => overruns.push(n) })
    writer.start()
    writer.drain()
    change(ring, writer)
    await writer.close()
    return { file, overruns }
  }

  it('describes an interface the table gains before the first packet that names it (same section)', async () => {
    const { file } = await followed((ring) => {
      ring.setPorts([SLIP_ETH])
      appendOn(ring, 0, 2)
    })
    const bytes = readFileSync(file)
    expect(splitBlocks(bytes).map((b) => b.type)).toEqual([BLOCK_SHB, BLOCK_IDB, BLOCK_IDB, BLOCK_EPB, BLOCK_IDB, BLOCK_EPB])
    const [section, ...more] = sections(bytes)
    expect(more).toEqual([])
    expect(described(section!.idbs)).toEqual([[LINKTYPE_ETHERNET, 'esp32-a'], [LINKTYPE_RAW, 'slip-b'], [LINKTYPE_ETHERNET, 'slip-b']])
    expect(section!.packets.map((p) => p.interfaceId)).toEqual([0, 2])
    if (skipTshark) return
    const t = tsharkFields(file, ['frame.interface_id', 'frame.interface_description', 'frame.protocols'])
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    expect(t.rows.map(([id, description, protocols]) => [id, description, upToUdp(protocols!)])).toEqual([
      ['0', ESP32.description, 'eth:ethertype:ip:udp'],
      ['2', SLIP_ETH.description, 'eth:ethertype:ip:udp']
    ])
  })

  it('starts a new section when the table starts afresh (records it had not written counted as skipped)', async () => {
    const last = MAX_CAPTURE_INTERFACES // odd: a bare-IP port, where the first section's interface 0 is Ethernet
    const { file, overruns } = await followed((ring) => {
      appendOn(ring, 1, 2) // not yet written when the table overflows
      for (let i = 0; i <= last; i++) ring.setPorts([numbered(i)])
      appendOn(ring, 0, 3)
    })
    expect(overruns).toEqual([1])
    const all = sections(readFileSync(file))
    expect(all).toHaveLength(2)
    expect(described(all[0]!.idbs)).toEqual([[LINKTYPE_ETHERNET, 'esp32-a'], [LINKTYPE_RAW, 'slip-b']])
    expect(all[0]!.packets.map((p) => p.interfaceId)).toEqual([0])
    // The fresh table: the last port alone (those after the overflow were let go too, as no record named them).
    expect(described(all[1]!.idbs)).toEqual([[LINKTYPE_RAW, `dev${last}`]])
    expect(all[1]!.packets.map((p) => p.interfaceId)).toEqual([0])
    if (skipTshark) return
    // tshark reads both sections and decodes each packet by its own section's interface. (tshark 4.0 shows
    // frame.interface_name and frame.interface_id by the section's interface id, so they are not checked here.)
    const t = tsharkFields(file, ['frame.section_number', 'frame.protocols', '_ws.malformed'])
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    expect(t.rows.map(([section, protocols, malformed]) => [section, upToUdp(protocols!), malformed])).toEqual([
      ['1', 'eth:ethertype:ip:udp', ''],
      ['2', 'raw:ip:udp', '']
    ])
  })

  it('a stream output gets the same blocks', async () => {
    const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 1024 })
    ring.setPorts([ESP32])
    appendOn(ring, 0, 1)
    const out = new PassThrough()
    const chunks: Buffer[] = []
    out.on('data', (c: Buffer) => chunks.push(c))
    const writer = new PcapngWriter(ring, out, { application: 'follow', from: 0 })
    writer.start()
    writer.drain()
    ring.setPorts([ESP32, SLIP_IP])
    appendOn(ring, 1, 2)
    await writer.close()
    const [section] = sections(Buffer.concat(chunks))
    expect(described(section!.idbs)).toEqual([[LINKTYPE_ETHERNET, 'esp32-a'], [LINKTYPE_RAW, 'slip-b']])
    expect(section!.packets.map((p) => p.interfaceId)).toEqual([0, 1])
  })
})
