// The capture on disk: CaptureRing → PcapngWriter → a real file, checked three
// ways: our own reader (test/capture/pcapngFile.ts, independent of the encoder),
// tshark, and tshark against the decoders. Plus the writer's behaviour when the
// output is closed, fails, stalls or falls behind.
import { spawn } from 'node:child_process'
import { createWriteStream, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Writable } from 'node:stream'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { CaptureRing, Direction, type DirectionCode } from '../../src/engine/capture/ring'
import { PcapngWriter, type PcapngWriterOptions } from '../../src/engine/capture/pcapngWriter'
import { FramingError } from '../../src/engine/counters'
import { esp32Framing } from '../../src/engine/framing/esp32'
import { summarizeFrame } from '../../src/engine/decode'
import { fixtures } from '../decode/fixtures'
import {
  BLOCK_EPB, BLOCK_IDB, BLOCK_SHB, epbFlags, option, optionText, parsePcapng, splitBlocks, timestampUnits, type PcapngFile
} from './pcapngFile'
import { requireTshark, skipTshark, tsharkFields, tsharkTitleNote } from './tshark'

type FixtureName = keyof typeof fixtures
const FIXTURES = Object.entries(fixtures) as [FixtureName, Uint8Array][]

const APPLICATION = 'tunscope capture test'
const INTERFACE_NAME = 'uart1'
const INTERFACE_DESCRIPTION = 'ESP32 UART tunnel (test)'

// pcapng constants, from the format description (not from the encoder).
const LINKTYPE_ETHERNET = 1
const OPT_COMMENT = 1
const SHB_USERAPPL = 4
const IF_NAME = 2
const IF_DESCRIPTION = 3
const IF_TSRESOL = 9
const EPB_DIRECTION_INBOUND = 1
const EPB_DIRECTION_OUTBOUND = 2

let tempDir = ''
beforeAll(() => {
  tempDir = mkdtempSync(join(tmpdir(), 'tunscope-capture-'))
})
afterAll(() => {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true })
})

/** A record as the bridge puts it in the ring: the 2-byte big-endian UART length, then the Ethernet frame. */
function uartRecord(frame: Uint8Array): Uint8Array {
  const record = new Uint8Array(frame.length + 2)
  record[0] = frame.length >> 8
  record[1] = frame.length & 0xff
  record.set(frame, 2)
  return record
}

/** Appends one frame as its own batch, as the bridge's data path does: append, then publish. */
function appendFrame(ring: CaptureRing, time: number, direction: DirectionCode, frame: Uint8Array): number {
  const record = uartRecord(frame)
  const seq = ring.append(time, direction, FramingError.none, record, 0, record.length)
  ring.publish()
  return seq
}

function writerOptions(over: Partial<PcapngWriterOptions> = {}): PcapngWriterOptions {
  return { application: APPLICATION, ...over }
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits (polling) until `done()` holds; throws with `what` if it does not within `ms`. */
async function until(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await sleep(5)
  }
}

/** Size of a file the writer is still creating (createWriteStream opens it asynchronously). */
function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw e
  }
}

/** tshark's frame.time_epoch ("1700000000.123456000") in whole microseconds, exactly. */
function epochMicros(text: string): number {
  const match = /^(\d+)\.(\d{9})$/.exec(text)
  if (!match) throw new Error(`unexpected frame.time_epoch ${JSON.stringify(text)}`)
  expect(match[2]!.slice(6), `sub-microsecond digits of ${text}`).toBe('000')
  return Number(BigInt(match[1]!) * 1_000_000n + BigInt(match[2]!.slice(0, 6)))
}

/** Microseconds since the epoch a ring time (performance.now() scale) stands for, unrounded. */
const expectedMicros = (time: number): number => (performance.timeOrigin + time) * 1000

/** A valid-looking 1514-byte IPv4/TCP frame whose payload carries `mark` (for big and cut records). */
function bigFrame(mark: number, payloadBytes = 1446): Uint8Array {
  const frame = new Uint8Array(14 + 20 + 20 + payloadBytes)
  frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00])
  const ip = 14
  const total = 20 + 20 + payloadBytes
  frame.set([0x45, 0, total >> 8, total & 0xff, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 192, 168, 100, 1, 192, 168, 100, 2], ip)
  let sum = 0
  for (let i = 0; i < 20; i += 2) sum += (frame[ip + i]! << 8) | frame[ip + i + 1]!
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16)
  const checksum = ~sum & 0xffff
  frame[ip + 10] = checksum >> 8
  frame[ip + 11] = checksum & 0xff
  // TCP 40000 → 5555, ACK, window 502; checksum left 0 (tshark does not verify TCP checksums by default).
  frame.set([0x9c, 0x40, 0x15, 0xb3, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0x01, 0xf6, 0, 0, 0, 0], ip + 20)
  const view = new DataView(frame.buffer)
  for (let i = 14 + 40; i + 4 <= frame.length; i += 4) view.setUint32(i, (mark * 0x10000 + i) >>> 0)
  return frame
}

// ------------------------------------------------------------------ the capture under test

interface Appended {
  seq: number
  time: number
  direction: DirectionCode
  /** The Ethernet frame, or undefined for the framing-error record. */
  name?: FixtureName
  frame?: Uint8Array
  junk?: Uint8Array
  wireLength: number
}

const JUNK = Uint8Array.from({ length: 40 }, (_, i) => (i === 0 ? 0x05 : i === 1 ? 0xf2 : (0x30 + i * 11) & 0xff))
const JUNK_WIRE_LENGTH = 1234

let mainFile = ''
/** The same capture written at the same time through a file descriptor (synchronous writes). */
let mainFdFile = ''
let mainLog: Appended[] = []
let mainErrors: Error[] = []
let mainOverruns: number[] = []
let mainParsed: PcapngFile

/** Every fixture from the device and to the device, then one "too long" framing error. */
async function writeMainCapture(): Promise<void> {
  mainFile = join(tempDir, 'fixtures.pcapng')
  mainFdFile = join(tempDir, 'fixtures-fd.pcapng')
  const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 4096 })
  ring.setPorts([{ name: INTERFACE_NAME, description: INTERFACE_DESCRIPTION, framing: esp32Framing }])
  const report = writerOptions({
    onError: (e) => mainErrors.push(e),
    onOverrun: (n) => mainOverruns.push(n)
  })
  const writer = new PcapngWriter(ring, createWriteStream(mainFile), report)
  const fdWriter = new PcapngWriter(ring, { fd: openSync(mainFdFile, 'w') }, report)
  writer.start()
  fdWriter.start()
  const t0 = performance.now()
  let k = 0
  for (const [name, frame] of FIXTURES) {
    for (const direction of [Direction.fromDevice, Direction.toDevice]) {
      // Times with sub-millisecond fractions, a little apart.
      const time = t0 + k * 1.3337 + (direction === Direction.toDevice ? 0.2501 : 0)
      const seq = appendFrame(ring, time, direction, frame)
      mainLog.push({ seq, time, direction, name, frame, wireLength: frame.length + 2 })
    }
    // Let the writer drain the published batches now and then, so the file is written in several chunks.
    if (++k % 10 === 0) await sleep(30)
  }
  const time = t0 + k * 1.3337 + 5
  const seq = ring.append(time, Direction.fromDevice, FramingError.tooLong, JUNK, 0, JUNK.length, JUNK_WIRE_LENGTH)
  mainLog.push({ seq, time, direction: Direction.fromDevice, junk: JUNK, wireLength: JUNK_WIRE_LENGTH })
  await writer.close()
  await fdWriter.close()
  mainParsed = parsePcapng(readFileSync(mainFile))
}

const frameRecords = (): Appended[] => mainLog.filter((r) => r.frame !== undefined)
const errorRecord = (): Appended => mainLog.find((r) => r.junk !== undefined)!
const expectedComment = (): RegExp =>
  new RegExp(`^UART framing error: length over the device limit; ${JUNK_WIRE_LENGTH} bytes skipped: [0-9a-f]{2}( [0-9a-f]{2})* …$`)

describe('pcapng file from the ring (own reader)', () => {
  beforeAll(async () => {
    await writeMainCapture()
  })

  it('the writer reported no error and no overrun', () => {
    expect(mainErrors).toEqual([])
    expect(mainOverruns).toEqual([])
  })

  it('through a file descriptor (synchronous writes) the file is byte for byte the same', () => {
    expect(readFileSync(mainFdFile).equals(readFileSync(mainFile))).toBe(true)
  })

  it('is a sequence of whole blocks: total length equal front and back, 32-bit aligned, nothing left over', () => {
    const file = readFileSync(mainFile)
    const blocks = splitBlocks(file)
    expect(blocks.map((b) => b.type)).toEqual([BLOCK_SHB, BLOCK_IDB, ...mainLog.map(() => BLOCK_EPB)])
    let end = 0
    for (const b of blocks) {
      expect(b.offset).toBe(end)
      expect(b.offset % 4).toBe(0)
      expect(b.totalLength % 4).toBe(0)
      expect(file.readUInt32LE(b.offset + 4)).toBe(b.totalLength)
      expect(file.readUInt32LE(b.offset + b.totalLength - 4)).toBe(b.totalLength)
      end = b.offset + b.totalLength
    }
    expect(end).toBe(file.length)
  })

  it('starts with a little-endian section header, version 1.0, unknown section length, naming the application', () => {
    const file = readFileSync(mainFile)
    expect(file.readUInt32LE(0)).toBe(0x0a0d0d0a)
    expect(hex(file.subarray(8, 12))).toBe('4d 3c 2b 1a')
    const { shb } = mainParsed
    expect(shb.byteOrderMagic).toEqual([0x4d, 0x3c, 0x2b, 0x1a])
    expect([shb.major, shb.minor]).toEqual([1, 0])
    expect(shb.sectionLength).toEqual([0xffffffff, 0xffffffff])
    expect(optionText(shb.options, SHB_USERAPPL)).toBe(APPLICATION)
  })

  it("has one interface per capture port (one here): Ethernet (link type 1), with microsecond timestamps and the port's name and description", () => {
    const { idb, idbs } = mainParsed
    expect(idbs.map((d) => d.linkType)).toEqual([LINKTYPE_ETHERNET])
    expect(idb.linkType).toBe(LINKTYPE_ETHERNET)
    expect(idb.reserved).toBe(0)
    expect(optionText(idb.options, IF_NAME)).toBe(INTERFACE_NAME)
    expect(optionText(idb.options, IF_DESCRIPTION)).toBe(INTERFACE_DESCRIPTION)
    // if_tsresol 6: 10^-6 s. Absent would also mean microseconds, but the writer says so explicitly.
    expect(Array.from(option(idb.options, IF_TSRESOL) ?? [])).toEqual([6])
  })

  it('has one Enhanced Packet Block per record, in ring order', () => {
    expect(mainParsed.packets).toHaveLength(mainLog.length)
    for (const p of mainParsed.packets) expect(p.interfaceId).toBe(0)
  })

  it('frame EPBs hold the Ethernet frame without the UART prefix; caplen = origlen = frame length', () => {
    for (const r of frameRecords()) {
      const p = mainParsed.packets[r.seq]!
      expect(p.capturedLength, r.name).toBe(r.frame!.length)
      expect(p.originalLength, r.name).toBe(r.wireLength - 2)
      expect(hex(p.data), r.name).toBe(hex(r.frame!))
      expect(Array.from(p.padding), r.name).toEqual(new Array(p.padding.length).fill(0))
      expect(option(p.options, OPT_COMMENT), r.name).toBeUndefined()
    }
  })

  it('epb_flags direction bits: inbound (01) from the device, outbound (10) to the device', () => {
    for (const r of mainLog) {
      const flags = epbFlags(mainParsed.packets[r.seq]!)
      expect(flags, `seq ${r.seq}`).toBeDefined()
      expect(flags! & 3, `seq ${r.seq}`).toBe(r.direction === Direction.fromDevice ? EPB_DIRECTION_INBOUND : EPB_DIRECTION_OUTBOUND)
    }
  })

  it('the framing error is an empty packet (caplen 0, origlen = bytes lost) with a comment', () => {
    const r = errorRecord()
    const p = mainParsed.packets[r.seq]!
    expect(p.capturedLength).toBe(0)
    expect(p.originalLength).toBe(JUNK_WIRE_LENGTH)
    const comment = optionText(p.options, OPT_COMMENT)
    expect(comment).toMatch(expectedComment())
    // The bytes shown are the junk's first bytes, in order.
    const shown = comment!.replace(/^.*bytes skipped: /, '').replace(/ …$/, '')
    expect(shown.length).toBeGreaterThan(0)
    expect(hex(JUNK).startsWith(shown)).toBe(true)
  })

  it('timestamps are the ring times on the epoch scale, to the microsecond', () => {
    for (const r of mainLog) {
      const units = timestampUnits(mainParsed.packets[r.seq]!)
      expect(Math.abs(units - expectedMicros(r.time)), `seq ${r.seq}`).toBeLessThanOrEqual(1)
    }
  })
})

describe.skipIf(skipTshark)(`pcapng file from the ring, read by tshark${tsharkTitleNote}`, () => {
  beforeAll(async () => {
    if (!mainParsed) await writeMainCapture()
  })

  it('opens without complaint: exit 0, nothing on stderr, no malformed packet, directions and lengths right', () => {
    requireTshark()
    const fields = ['frame.number', 'frame.p2p_dir', 'frame.len', 'frame.cap_len', '_ws.col.Protocol', '_ws.malformed', 'frame.comment']
    const t = tsharkFields(mainFile, fields)
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    expect(t.rows).toHaveLength(mainLog.length)
    expect(t.rows.filter((row) => row[5] !== '')).toEqual([])
    for (const r of mainLog) {
      const [number, dir, len, capLen, , , comment] = t.rows[r.seq]!
      const what = r.name ?? 'framing error'
      expect(number, what).toBe(String(r.seq + 1))
      // p2p_dir 1 = received = from the device; 0 = sent = to the device.
      expect(dir, what).toBe(r.direction === Direction.fromDevice ? '1' : '0')
      if (r.frame) {
        expect(len, what).toBe(String(r.frame.length))
        expect(capLen, what).toBe(String(r.frame.length))
        expect(comment, what).toBe('')
      } else {
        expect(len, what).toBe(String(JUNK_WIRE_LENGTH))
        expect(capLen, what).toBe('0')
        expect(comment, what).toMatch(expectedComment())
      }
    }
  })

  it('timestamps: frame.time_epoch = (performance.timeOrigin + t) / 1000 to the microsecond', () => {
    requireTshark()
    const t = tsharkFields(mainFile, ['frame.number', 'frame.time_epoch'])
    expect(t.status).toBe(0)
    for (const r of mainLog) {
      const micros = epochMicros(t.rows[r.seq]![1]!)
      expect(Math.abs(micros - expectedMicros(r.time)), `seq ${r.seq}: ${t.rows[r.seq]![1]}`).toBeLessThanOrEqual(1)
    }
  })

  // Differences we know of and accept; anything else fails the test and is listed in its message.
  const KNOWN_PROTOCOL_DIFFERENCES: Partial<Record<FixtureName, { tshark: RegExp; why: string }>> = {
    udpEcho: { tshark: /^ECHO$/, why: "tshark's Echo dissector claims UDP port 7; we say UDP (test/decode/frame.test.ts)" },
    ipv4BadChecksum: { tshark: /^ECHO$/, why: 'UDP port 7, as udpEcho' },
    udp6: { tshark: /^ECHO$/, why: 'UDP port 7 over IPv6, as udpEcho' },
    unknownEtherType: { tshark: /./, why: 'unknown EtherType naming' }
  }

  function protocolDifferences(rows: string[][], records: Appended[]): string[] {
    const differences: string[] = []
    for (const r of records) {
      const ours = summarizeFrame(r.frame!).protocol
      const theirs = rows[r.seq]![1]!
      if (ours === theirs) continue
      const known = KNOWN_PROTOCOL_DIFFERENCES[r.name!]
      if (known && known.tshark.test(theirs)) continue
      differences.push(`${r.name} (${r.direction === Direction.fromDevice ? 'from' : 'to'} device): tshark ${JSON.stringify(theirs)}, summarizeFrame ${JSON.stringify(ours)}`)
    }
    return differences
  }

  it("decoders agree with tshark's protocol column for every fixture (known differences aside)", () => {
    requireTshark()
    // Each fixture's first copy, with tshark's default preferences. (The second copy of a TCP
    // segment is a retransmission to tshark, which then shows TCP instead of HTTP for it.)
    const t = tsharkFields(mainFile, ['frame.number', '_ws.col.Protocol'])
    expect(t.status).toBe(0)
    const firstCopies = frameRecords().filter((r) => r.direction === Direction.fromDevice)
    expect(firstCopies).toHaveLength(FIXTURES.length)
    expect(protocolDifferences(t.rows, firstCopies)).toEqual([])
  })

  it('…and in both directions when tshark looks at each frame alone (no TCP sequence analysis)', () => {
    requireTshark()
    const t = tsharkFields(mainFile, ['frame.number', '_ws.col.Protocol'], ['-o', 'tcp.analyze_sequence_numbers:FALSE'])
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    expect(protocolDifferences(t.rows, frameRecords())).toEqual([])
  })

  it('decoders agree with tshark on source and destination (IP addresses where IP, MAC addresses otherwise)', () => {
    requireTshark()
    // -E occurrence=f: the outer header's address when an ICMP error quotes another IP header.
    const t = tsharkFields(mainFile, ['frame.number', 'eth.src', 'eth.dst', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst'], ['-n', '-E', 'occurrence=f'])
    expect(t.status).toBe(0)
    const differences: string[] = []
    for (const r of frameRecords()) {
      const [, ethSrc, ethDst, ipSrc, ipDst, ip6Src, ip6Dst] = t.rows[r.seq]!
      const theirs = { source: ipSrc || ip6Src || ethSrc, destination: ipDst || ip6Dst || ethDst }
      const { source, destination } = summarizeFrame(r.frame!)
      if (source !== theirs.source || destination !== theirs.destination) {
        differences.push(`${r.name}: tshark ${theirs.source} → ${theirs.destination}, summarizeFrame ${source} → ${destination}`)
      }
    }
    expect(differences).toEqual([])
  })
})

// ------------------------------------------------------------------ timestamps at the edges

describe('timestamps at the edges of the ring time scale', () => {
  const times = [0, 0.0004, 0.0006, 0.999, 1234.5678, 86_400_000 * 30 + 0.123456, 4e9 + 0.5]
  let file = ''
  let parsed: PcapngFile

  beforeAll(async () => {
    file = join(tempDir, 'times.pcapng')
    const ring = new CaptureRing({ dataBytes: 1 << 16, maxRecords: 64 })
    const writer = new PcapngWriter(ring, createWriteStream(file), writerOptions())
    writer.start()
    for (const [i, time] of times.entries()) appendFrame(ring, time, i % 2 ? Direction.toDevice : Direction.fromDevice, fixtures.arpRequest)
    await writer.close()
    parsed = parsePcapng(readFileSync(file))
  })

  it('own reader: each EPB timestamp is (timeOrigin + t) µs, to the microsecond', () => {
    expect(parsed.packets).toHaveLength(times.length)
    times.forEach((time, i) => expect(Math.abs(timestampUnits(parsed.packets[i]!) - expectedMicros(time)), `t=${time}`).toBeLessThanOrEqual(1))
  })

  it.skipIf(skipTshark)(`tshark: frame.time_epoch matches${tsharkTitleNote}`, () => {
    requireTshark()
    const t = tsharkFields(file, ['frame.time_epoch'])
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    times.forEach((time, i) => expect(Math.abs(epochMicros(t.rows[i]![0]!) - expectedMicros(time)), `t=${time}`).toBeLessThanOrEqual(1))
  })
})

// ------------------------------------------------------------------ a record the ring had to cut

describe('a frame longer than the ring data area', () => {
  const big = bigFrame(7)
  let file = ''
  let parsed: PcapngFile

  beforeAll(async () => {
    file = join(tempDir, 'cut.pcapng')
    const ring = new CaptureRing({ dataBytes: 256, maxRecords: 8 })
    const writer = new PcapngWriter(ring, createWriteStream(file), writerOptions())
    writer.start()
    appendFrame(ring, 1, Direction.toDevice, big)
    await writer.close()
    parsed = parsePcapng(readFileSync(file))
  })

  it('is written cut: caplen = data area − prefix, origlen = the whole frame', () => {
    expect(parsed.packets).toHaveLength(1)
    const p = parsed.packets[0]!
    expect(p.capturedLength).toBe(256 - 2)
    expect(p.originalLength).toBe(big.length)
    expect(hex(p.data)).toBe(hex(big.subarray(0, 254)))
  })

  it.skipIf(skipTshark)(`tshark reads it as cut short, not malformed${tsharkTitleNote}`, () => {
    requireTshark()
    const t = tsharkFields(file, ['frame.len', 'frame.cap_len', '_ws.malformed', '_ws.col.Protocol'])
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    expect(t.rows).toEqual([[String(big.length), '254', '', 'TCP']])
  })
})

// ------------------------------------------------------------------ the writer's output going wrong

/**
 * A disk that accepts writes but completes them only when told: stands for a
 * stalled disk. It copies what it is given (what a disk does), so the file it
 * holds is what the writer wrote at the time.
 */
class StalledDisk extends Writable {
  readonly chunks: Buffer[] = []
  private held: (() => void)[] = []
  private holding = true

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk))
    if (this.holding) this.held.push(() => callback())
    else process.nextTick(callback)
  }

  release(): void {
    this.holding = false
    const held = this.held
    this.held = []
    for (const done of held) done()
  }

  get contents(): Buffer {
    return Buffer.concat(this.chunks)
  }
}

describe('PcapngWriter: the file is closed mid-run', () => {
  let file = ''
  let appendedBeforeClose: Uint8Array[] = []
  let appendedAfterClose = 0
  let errors: Error[] = []

  beforeAll(async () => {
    file = join(tempDir, 'mid-run.pcapng')
    const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 4096 })
    const writer = new PcapngWriter(ring, createWriteStream(file), writerOptions({ onError: (e) => errors.push(e) }))
    writer.start()
    const log: Uint8Array[] = []
    let k = 0
    const produce = (): void => {
      const frame = FIXTURES[k % FIXTURES.length]![1]
      appendFrame(ring, performance.now(), k % 2 ? Direction.toDevice : Direction.fromDevice, frame)
      log.push(frame)
      k++
    }
    // Traffic keeps coming while the writer streams each published batch out.
    const producer = setInterval(() => { for (let i = 0; i < 3; i++) produce() }, 2)
    try {
      await until(() => fileSize(file) > 4096 && ring.head >= 60, 'the writer to stream some frames')
      const headAtClose = ring.head
      const closing = writer.close()
      // More traffic after close() was called: it must not reach the file (nor break it).
      for (let i = 0; i < 10; i++) produce()
      await closing
      appendedBeforeClose = log.slice(0, headAtClose)
      appendedAfterClose = ring.head - headAtClose
    } finally {
      clearInterval(producer)
    }
  })

  it('close() resolved, the file is whole and holds exactly the frames appended before close()', () => {
    expect(errors).toEqual([])
    expect(appendedAfterClose).toBeGreaterThan(0)
    const parsed = parsePcapng(readFileSync(file))
    expect(parsed.packets).toHaveLength(appendedBeforeClose.length)
    parsed.packets.forEach((p, i) => expect(hex(p.data), `packet ${i}`).toBe(hex(appendedBeforeClose[i]!)))
  })

  it.skipIf(skipTshark)(`tshark reads all frames written before close${tsharkTitleNote}`, () => {
    requireTshark()
    const t = tsharkFields(file, ['frame.number', 'frame.len', '_ws.malformed'])
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    expect(t.rows).toHaveLength(appendedBeforeClose.length)
    expect(t.rows.filter((r) => r[2] !== '')).toEqual([])
    t.rows.forEach((r, i) => expect(r[1], `frame ${i + 1}`).toBe(String(appendedBeforeClose[i]!.length)))
  })
})

describe('PcapngWriter: the file stream is ended by someone else mid-run', () => {
  let file = ''
  let errors: Error[] = []

  beforeAll(async () => {
    file = join(tempDir, 'ended.pcapng')
    const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 4096 })
    const out = createWriteStream(file)
    const writer = new PcapngWriter(ring, out, writerOptions({ onError: (e) => errors.push(e) }))
    writer.start()
    let k = 0
    const producer = setInterval(() => appendFrame(ring, performance.now(), k++ % 2 ? Direction.toDevice : Direction.fromDevice, fixtures.tcpData), 1)
    try {
      await until(() => fileSize(file) > 2048, 'the writer to stream some frames')
      out.end()
      await sleep(100) // the writer would drain the published batches into the ended stream meanwhile
      await writer.close()
    } finally {
      clearInterval(producer)
    }
  })

  it('close() resolves, at most one error is reported, and the file holds only whole blocks', () => {
    expect(errors.length).toBeLessThanOrEqual(1)
    const parsed = parsePcapng(readFileSync(file))
    expect(parsed.packets.length).toBeGreaterThan(0)
    for (const p of parsed.packets) expect(hex(p.data)).toBe(hex(fixtures.tcpData))
  })

  it.skipIf(skipTshark)(`tshark reads every frame in it${tsharkTitleNote}`, () => {
    requireTshark()
    const packets = parsePcapng(readFileSync(file)).packets.length
    const t = tsharkFields(file, ['frame.number', '_ws.malformed'])
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    expect(t.rows).toHaveLength(packets)
  })
})

describe('PcapngWriter: an output that fails', () => {
  it('writing to a closed pipe (EPIPE): onError once, then it stops without throwing; close() resolves', async () => {
    // The child closes its end of the pipe at once and lives on: writes get EPIPE.
    const child = spawn('/bin/sh', ['-c', 'exec 0<&-; exec sleep 30'], { stdio: ['pipe', 'ignore', 'ignore'] })
    try {
      const out = child.stdin!
      const errors: Error[] = []
      const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 4096 })
      const writer = new PcapngWriter(ring, out, writerOptions({ onError: (e) => errors.push(e) }))
      writer.start()
      await until(() => {
        appendFrame(ring, performance.now(), Direction.fromDevice, fixtures.icmpEchoRequest)
        return errors.length > 0
      }, 'the EPIPE')
      expect((errors[0] as NodeJS.ErrnoException).code).toBe('EPIPE')
      const write = vi.spyOn(out, 'write')
      for (let i = 0; i < 20; i++) {
        appendFrame(ring, performance.now(), Direction.toDevice, fixtures.icmpEchoReply)
        expect(() => writer.drain()).not.toThrow()
      }
      await sleep(100) // the writer would have drained the published batches by now
      expect(write).not.toHaveBeenCalled()
      await writer.close()
      expect(errors).toHaveLength(1)
    } finally {
      child.kill()
    }
  })

  it('a stream destroyed with an error: onError once with that error, then it stops; close() resolves', async () => {
    const file = join(tempDir, 'destroyed.pcapng')
    const out = createWriteStream(file)
    const errors: Error[] = []
    const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 4096 })
    const writer = new PcapngWriter(ring, out, writerOptions({ onError: (e) => errors.push(e) }))
    writer.start()
    appendFrame(ring, performance.now(), Direction.fromDevice, fixtures.arpRequest)
    writer.drain()
    const boom = new Error('disk gone')
    out.destroy(boom)
    await until(() => errors.length > 0, 'onError')
    const write = vi.spyOn(out, 'write')
    for (let i = 0; i < 20; i++) {
      appendFrame(ring, performance.now(), Direction.toDevice, fixtures.arpReply)
      expect(() => writer.drain()).not.toThrow()
    }
    await sleep(100)
    await writer.close()
    expect(errors).toEqual([boom])
    expect(write).not.toHaveBeenCalled()
  })

  it('a full disk (/dev/full, ENOSPC) through a file descriptor: onError once, then it stops without throwing; close() resolves', async () => {
    const errors: Error[] = []
    const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 4096 })
    const writer = new PcapngWriter(ring, { fd: openSync('/dev/full', 'w') }, writerOptions({ onError: (e) => errors.push(e) }))
    writer.start()
    for (let i = 0; i < 5; i++) {
      appendFrame(ring, performance.now(), Direction.fromDevice, fixtures.arpRequest)
      expect(() => writer.drain()).not.toThrow()
    }
    await writer.close()
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOSPC'])
  })

  // out.end(cb) on a Writable destroyed without an error (stream.destroy(), or a
  // child's stdin once the child has exited) never calls cb and emits no 'error':
  // close() must not wait for it.
  it('a stream destroyed without an error: close() still resolves', async () => {
    const file = join(tempDir, 'destroyed-quietly.pcapng')
    const out = createWriteStream(file)
    const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 4096 })
    const writer = new PcapngWriter(ring, out, writerOptions())
    writer.start()
    appendFrame(ring, performance.now(), Direction.fromDevice, fixtures.arpRequest)
    writer.drain()
    // Destroyed once the file is open and written to (a stream destroyed while its open is
    // still pending takes another path in Node).
    await until(() => fileSize(file) > 0 && !out.pending && out.writableLength === 0, 'the first writes')
    out.destroy()
    await until(() => out.destroyed && out.closed, 'the stream to be destroyed')
    appendFrame(ring, performance.now(), Direction.fromDevice, fixtures.arpReply)
    let timer: NodeJS.Timeout | undefined
    const outcome = await Promise.race([
      writer.close().then(() => 'resolved', (e: Error) => `rejected: ${e.message}`),
      new Promise<string>((resolve) => { timer = setTimeout(() => resolve('still pending after 5 s'), 5000) })
    ])
    clearTimeout(timer)
    expect(outcome).toBe('resolved')
  })
})

describe('PcapngWriter: an output that cannot keep up', () => {
  it('while over the queued-bytes limit, skips records and reports each skip via onOverrun', async () => {
    // 12 000 records of 1 514-byte frames queue ~18.5 MB at a stalled disk: over
    // the writer's 16 MiB limit (MAX_QUEUED_BYTES in pcapngWriter.ts).
    const FIRST = 12_000
    const ring = new CaptureRing({ dataBytes: 32 * 1024 * 1024, maxRecords: 65_536 })
    const disk = new StalledDisk()
    const overruns: number[] = []
    const errors: Error[] = []
    const writer = new PcapngWriter(ring, disk, writerOptions({ onOverrun: (n) => overruns.push(n), onError: (e) => errors.push(e) }))
    writer.start()
    const frames = new Map<number, Uint8Array>()
    const add = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const frame = bigFrame(ring.head)
        frames.set(appendFrame(ring, ring.head, i % 2 ? Direction.toDevice : Direction.fromDevice, frame), frame)
      }
    }
    add(FIRST)
    writer.drain()
    expect(overruns).toEqual([]) // the first batch was below the limit when it was queued
    expect(disk.writableLength).toBeGreaterThan(16 * 1024 * 1024)

    add(100)
    writer.drain()
    add(50)
    writer.drain()
    writer.drain() // nothing new: nothing to report
    expect(overruns).toEqual([100, 50])

    // The disk catches up; what comes next is written again.
    disk.release()
    await until(() => disk.writableLength === 0, 'the disk to catch up')
    add(7)
    writer.drain()
    await writer.close()
    expect(errors).toEqual([])
    expect(overruns).toEqual([100, 50])

    const parsed = parsePcapng(disk.contents)
    expect(parsed.packets).toHaveLength(FIRST + 7)
    const expectedSeqs = [...Array.from({ length: FIRST }, (_, i) => i), ...Array.from({ length: 7 }, (_, i) => FIRST + 150 + i)]
    const wrong = parsed.packets.flatMap((p, i) => (Buffer.compare(Buffer.from(p.data), Buffer.from(frames.get(expectedSeqs[i]!)!)) === 0 ? [] : [i]))
    expect(wrong).toEqual([])
  })

  it('a reader the ring has lapped reports the records lost via onOverrun and writes the rest', async () => {
    const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 8 })
    const disk = new StalledDisk()
    disk.release()
    const overruns: number[] = []
    const writer = new PcapngWriter(ring, disk, writerOptions({ onOverrun: (n) => overruns.push(n) }))
    writer.start()
    const frames: Uint8Array[] = []
    for (let i = 0; i < 20; i++) {
      const frame = FIXTURES[i]![1]
      appendFrame(ring, i, Direction.fromDevice, frame)
      frames.push(frame)
    }
    writer.drain()
    await writer.close()
    expect(overruns).toEqual([12])
    const parsed = parsePcapng(disk.contents)
    expect(parsed.packets.map((p) => hex(p.data))).toEqual(frames.slice(12).map(hex))
  })
})

describe('PcapngWriter: an output that keeps chunks after their write callback', () => {
  // A PassThrough (or any Transform) calls a write's callback as soon as the
  // chunk is queued on its readable side, before anyone has read it, so the
  // writer must not reuse chunk memory for it (reuseWrittenChunks stays off).

  /** Five batches of five fixtures, each appended, published and drained; returns the frames in order. */
  async function writeFiveBatches(ring: CaptureRing, writer: PcapngWriter): Promise<Uint8Array[]> {
    const written: Uint8Array[] = []
    for (let batch = 0; batch < 5; batch++) {
      for (const [, frame] of FIXTURES.slice(batch * 5, batch * 5 + 5)) {
        appendFrame(ring, performance.now(), Direction.toDevice, frame)
        written.push(frame)
      }
      writer.drain()
      await new Promise((resolve) => setImmediate(resolve))
    }
    return written
  }

  it('a PassThrough read after the writes carries a whole, correct pcapng stream', async () => {
    const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 4096 })
    const out = new PassThrough()
    const writer = new PcapngWriter(ring, out, writerOptions())
    writer.start()
    const written = await writeFiveBatches(ring, writer)
    const closing = writer.close()
    const chunks: Buffer[] = []
    for await (const chunk of out) chunks.push(Buffer.from(chunk as Buffer))
    await closing
    const stream = Buffer.concat(chunks)
    expect(() => parsePcapng(stream)).not.toThrow()
    expect(parsePcapng(stream).packets.map((p) => hex(p.data))).toEqual(written.map(hex))
  })

  it('(control) the same through a PassThrough read as the data comes is whole and correct', async () => {
    const ring = new CaptureRing({ dataBytes: 1 << 20, maxRecords: 4096 })
    const out = new PassThrough()
    const chunks: Buffer[] = []
    out.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)))
    const ended = new Promise((resolve) => out.on('end', resolve))
    const writer = new PcapngWriter(ring, out, writerOptions())
    writer.start()
    const written = await writeFiveBatches(ring, writer)
    await writer.close()
    await ended
    expect(parsePcapng(Buffer.concat(chunks)).packets.map((p) => hex(p.data))).toEqual(written.map(hex))
  })
})

// ------------------------------------------------------------------ any mix of records, drains and lapping

describe('PcapngWriter: property', () => {
  type Op =
    | { kind: 'frame'; direction: DirectionCode; payload: number }
    | { kind: 'junk'; length: number; lost: number }
    | { kind: 'read' } // another reader (the UI's frame feed) looks at the ring
    | { kind: 'drain' }

  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('frame' as const), direction: fc.constantFrom(Direction.fromDevice, Direction.toDevice), payload: fc.integer({ min: 0, max: 300 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('junk' as const), length: fc.integer({ min: 0, max: 80 }), lost: fc.integer({ min: 0, max: 5000 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'read' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'drain' as const }) }
  )

  /** A 14-byte Ethernet header, the record's seq (4 bytes), then `payload` more bytes. */
  function taggedFrame(seq: number, payload: number): Uint8Array {
    const frame = new Uint8Array(18 + payload).fill(0x5a)
    frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5]) // local experimental EtherType
    new DataView(frame.buffer).setUint32(14, seq)
    return frame
  }

  it('every record appended is written whole, in order, or counted as an overrun (stream and file descriptor alike)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 300, size: 'max' }), fc.boolean(), async (ops, throughFd) => {
        // A small ring, so that it often laps the writer between drains.
        const ring = new CaptureRing({ dataBytes: 2048, maxRecords: 12 })
        const file = join(tempDir, 'property.pcapng')
        const disk = new StalledDisk()
        disk.release()
        const overruns: number[] = []
        const errors: Error[] = []
        const writer = new PcapngWriter(ring, throughFd ? { fd: openSync(file, 'w') } : disk, writerOptions({ onOverrun: (n) => overruns.push(n), onError: (e) => errors.push(e) }))
        writer.start()
        const appended: { frame?: Uint8Array; lost?: number; direction: DirectionCode }[] = []
        for (const op of ops) {
          if (op.kind === 'frame') {
            const frame = taggedFrame(ring.head, op.payload)
            const record = uartRecord(frame)
            ring.append(ring.head, op.direction, FramingError.none, record, 0, record.length)
            appended.push({ frame, direction: op.direction })
          } else if (op.kind === 'junk') {
            ring.append(ring.head, Direction.fromDevice, FramingError.tooShort, JUNK, 0, Math.min(op.length, JUNK.length), op.lost)
            appended.push({ lost: op.lost, direction: Direction.fromDevice })
          } else if (op.kind === 'read') {
            ring.read(ring.tail, ring.head, () => {})
          } else {
            writer.drain()
          }
        }
        await writer.close()
        expect(errors).toEqual([])
        const parsed = parsePcapng(throughFd ? readFileSync(file) : disk.contents)
        // Records are lost only as whole runs the writer skipped, and each is counted.
        expect(parsed.packets.length + overruns.reduce((a, b) => a + b, 0)).toBe(appended.length)
        // Each record's time is its seq, so the timestamp says which record a packet is.
        let last = -1
        for (const p of parsed.packets) {
          const seq = Math.round(timestampUnits(p) / 1000 - performance.timeOrigin)
          expect(seq).toBeGreaterThan(last)
          last = seq
          expect(timestampUnits(p)).toBe(Math.round(expectedMicros(seq)))
          const want = appended[seq]!
          expect(epbFlags(p)! & 3).toBe(want.direction === Direction.fromDevice ? EPB_DIRECTION_INBOUND : EPB_DIRECTION_OUTBOUND)
          if (want.frame) {
            expect(hex(p.data)).toBe(hex(want.frame))
            expect(option(p.options, OPT_COMMENT)).toBeUndefined()
          } else {
            expect([p.capturedLength, p.originalLength]).toEqual([0, want.lost])
            expect(optionText(p.options, OPT_COMMENT)).toMatch(/^UART framing error: /)
          }
        }
      }),
      { numRuns: 150 }
    )
  })
})
