// A record keeps its framing from the capture ring through the UI feed to the
// frame list and the details tree: a QEMU stream record shows its 4-byte
// length, an ESP32 tunnel record its 2-byte one, in the same list.
import { describe, expect, it } from 'vitest'

import { CaptureRing, Direction } from '../../src/engine/capture/ring.js'
import { FramingError } from '../../src/engine/counters.js'
import { summarizeFrame } from '../../src/engine/decode/index.js'
import { esp32Framing } from '../../src/engine/framing/esp32.js'
import type { Framing } from '../../src/engine/framing/framing.js'
import { qemuFraming } from '../../src/engine/framing/qemu.js'
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
      expect(summarizeRecord(store.bytes(index), 0, store.wireLength(index), store.framing(index).header.bytes)).toEqual(summarizeFrame(frame))
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
