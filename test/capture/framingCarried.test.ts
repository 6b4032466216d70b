// A record keeps its framing from the capture ring through the UI feed to the
// frame list and the details tree: a QEMU stream record shows its 4-byte
// length, an ESP32 tunnel record its 2-byte one, in the same list.
import { describe, expect, it } from 'vitest'

import { CaptureRing, Direction } from '../../src/engine/capture/ring.js'
import { FramingError, TextRecord } from '../../src/engine/counters.js'
import { summarizeFrame } from '../../src/engine/decode/index.js'
import { esp32Framing } from '../../src/engine/framing/esp32.js'
import type { Framing } from '../../src/engine/framing/framing.js'
import { qemuFraming } from '../../src/engine/framing/qemu.js'
import { encodeSlip, slipEncodedMax, slipEthernetFraming, slipIpFraming } from '../../src/engine/framing/slip.js'
import { parsePcapng } from './pcapngFile.js'
import { PcapngWriter } from '../../src/engine/capture/pcapngWriter.js'
import { PassThrough } from 'node:stream'
import { FrameStore } from '../../src/renderer/src/store/frameStore.js'
import { recordTree } from '../../src/renderer/src/ui/recordTree.js'
import { summarizeRecord } from '../../src/renderer/src/ui/rowSummary.js'
import { FrameFeed } from '../../src/service/frameFeed.js'
import { readFrameBatch } from '../../src/shared/frameBatch.js'
import { concat, deviceUdpFrame } from '../helpers/frames.js'

const frame = deviceUdpFrame(new TextEncoder().encode('hello'))

function wireRecord(framing: Framing): Uint8Array {
  const header = new Uint8Array(framing.header.bytes)
  framing.header.write(header, 0, frame.length)
  return concat([header, frame])
}

/** Appends one record per framing (and a framing error between them), then feeds them to a store as the UI does. */
function throughTheFeed(): FrameStore {
  const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 64 })
  for (const framing of [qemuFraming, esp32Framing]) {
    ring.framing = framing
    const wire = wireRecord(framing)
    ring.append(1, Direction.fromDevice, 0, wire, 0, wire.length)
    ring.append(2, Direction.fromDevice, FramingError.tooLong, Uint8Array.of(0xff, 0xff), 0, 2, 40)
  }
  const store = new FrameStore(64, 64 * 1024)
  const feed = new FrameFeed({ sendFrames: (batch) => void readFrameBatch(batch, (r) => store.append(r)), backlog: () => 0 }, ring)
  feed.tick(ring)
  return store
}

describe('a record keeps its framing from the capture to the details tree', () => {
  const store = throughTheFeed()

  it('reads back each frame record whole, with its own record header', () => {
    expect(store.size).toBe(4)
    expect(Array.from(store.bytes(0))).toEqual(Array.from(wireRecord(qemuFraming)))
    expect(Array.from(store.bytes(2))).toEqual(Array.from(wireRecord(esp32Framing)))
    expect([store.framing(0).name, store.framing(2).name]).toEqual(['qemu', 'esp32'])
  })

  it('summarizes and classifies the frame after either header', () => {
    for (const index of [0, 2]) {
      expect(summarizeRecord(store.bytes(index), 0, store.wireLength(index), store.framing(index))).toEqual(summarizeFrame(frame))
      expect(store.protocols(index)).toBe(store.protocols(2))
    }
    expect(store.protocols(0)).not.toBe(0)
  })

  it('names the record layer after its framing and shows the length field as wide as it is', () => {
    const tree = (index: number) =>
      recordTree({ seq: index, time: 0, direction: 0, error: 0, wireLength: store.wireLength(index), framing: store.framing(index), bytes: store.bytes(index) }, 115_200, 0)
    expect(tree(0)[1]).toMatchObject({ label: `QEMU stream record, length ${frame.length}`, start: 0, length: 4 })
    expect(tree(0)[1]!.children![0]).toMatchObject({ label: `Length: ${frame.length}`, start: 0, length: 4 })
    expect(tree(0)[2]).toMatchObject({ start: 4 }) // Ethernet, right after the 4-byte length
    expect(tree(2)[1]).toMatchObject({ label: `UART record, length ${frame.length}`, start: 0, length: 2 })
    expect(tree(2)[2]).toMatchObject({ start: 2 })
  })
})

/** A frame's SLIP wire bytes (END, escaped frame, END). */
function slipWire(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(slipEncodedMax(bytes.length))
  return out.subarray(0, encodeSlip(bytes, 0, bytes.length, out, 0))
}

describe('SLIP records: the frame as it was, the wire bytes counted, bare IP decoded as IP', () => {
  const packet = frame.subarray(14) // the IPv4/UDP packet inside the Ethernet frame
  // Bytes SLIP must escape, so the wire is longer than the frame.
  const escaped = deviceUdpFrame(Uint8Array.of(0xc0, 0xdb, 0xc0, 0x41))
  // Two devices: one SLIP link carrying Ethernet (port 0), one carrying bare IP (port 1).
  const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 64 })
  ring.setPorts([
    { name: 'slip-eth', description: 'SLIP (Ethernet)', framing: slipEthernetFraming },
    { name: 'slip-ip', description: 'SLIP (IP)', framing: slipIpFraming }
  ])
  ring.append(1, Direction.fromDevice, 0, escaped, 0, escaped.length, slipWire(escaped).length, 0)
  ring.append(2, Direction.toDevice, 0, packet, 0, packet.length, slipWire(packet).length, 1)
  const debug = new TextEncoder().encode('\rslip: up\n')
  ring.append(3, Direction.fromDevice, TextRecord.debug, debug, 0, debug.length, debug.length + 2, 1)
  const store = new FrameStore(64, 64 * 1024)
  new FrameFeed({ sendFrames: (batch) => void readFrameBatch(batch, (r) => store.append(r)), backlog: () => 0 }, ring).tick(ring)
  const tree = (index: number) =>
    recordTree({ seq: index, time: 0, direction: 0, error: store.error(index), wireLength: store.wireLength(index), framing: store.framing(index), bytes: store.bytes(index) }, 115_200, 0)

  it('keeps the unescaped frame and the escaped wire length, and names the record and its escapes', () => {
    expect(Array.from(store.bytes(0))).toEqual(Array.from(escaped))
    const wire = escaped.length + 3 + 2 + 2 // three escapes in the payload, 192 (0xC0) in both addresses, two ENDs
    expect(store.wireLength(0)).toBe(wire)
    expect(tree(0)[1]).toMatchObject({ label: `SLIP record, ${escaped.length} bytes of Ethernet frame, ${wire} bytes on the wire` })
    expect(tree(0)[2]).toMatchObject({ label: expect.stringMatching(/^Ethernet II/), start: 0 })
  })

  it('decodes a bare-IP record as IPv4 from its first byte, in the summary, the filter facts and the tree', () => {
    expect(summarizeRecord(store.bytes(1), 0, store.wireLength(1), store.framing(1))).toEqual(summarizeFrame(frame))
    expect(store.protocols(1)).toBe(store.protocols(0) & ~1) // the same protocols but Ethernet
    expect(tree(1)[1]).toMatchObject({ label: `SLIP record, ${packet.length} bytes of IP packet, ${packet.length + 2 + 2} bytes on the wire` })
    expect(tree(1)[2]).toMatchObject({ label: expect.stringMatching(/^Internet Protocol Version 4/), start: 0 })
  })

  it('shows tunslip6 text as text, never as a framing error', () => {
    expect(summarizeRecord(store.bytes(2), store.error(2), store.wireLength(2))).toEqual({ protocol: 'SLIP', source: '', destination: '', info: 'Debug text: "\\rslip: up\\n"' })
    expect(tree(2)[1]).toMatchObject({ label: 'SLIP debug text: "\\rslip: up\\n"' })
  })

  it("writes each record on its port's interface (Ethernet: link type 1, bare IP: 101), with the frame as the original length", async () => {
    const out = new PassThrough()
    const chunks: Buffer[] = []
    out.on('data', (c: Buffer) => chunks.push(c))
    const writer = new PcapngWriter(ring, out, { application: 'test', from: 0 })
    writer.start()
    await writer.close()
    const { idbs, packets } = parsePcapng(Buffer.concat(chunks))
    expect(idbs.map((d) => d.linkType)).toEqual([1, 101])
    expect(packets.map((p) => [p.interfaceId, p.capturedLength, p.originalLength])).toEqual([
      [0, escaped.length, escaped.length],
      [1, packet.length, packet.length],
      [1, 0, debug.length + 2] // the text, as a comment, on the port it came from
    ])
  })
})
