// The frame list's, details tree's and hex dump's pure logic (the components themselves are
// tested in Chromium).
import { describe, expect, it } from 'vitest'
import { dissectFrame, summarizeFrame, type FieldNode } from '../../src/engine/decode'
import { FramingError } from '../../src/engine/counters'
import { classifyRecord, FrameFacts } from '../../src/renderer/src/lib/frameFacts'
import {
  ancestorPaths, narrowestPathAt, nodeAtPath, problemNote, recordTree, shiftNodes, type RecordInfo
} from '../../src/renderer/src/ui/recordTree'
import {
  directionText, formatSeconds, formatUartTime, framingErrorInfo, groupDigits, uartMs
} from '../../src/renderer/src/ui/format'
import { asciiRuns, byteAtHexColumn, clipRange, HEX_LINE_CHARS, hexRuns, offsetText, type TextRun } from '../../src/renderer/src/ui/hexLines'
import { afterChange, isAtBottom, nextRow, revealScrollTop } from '../../src/renderer/src/ui/listNav'
import { LruCache } from '../../src/renderer/src/ui/lru'
import { rowTone, summarizeRecord } from '../../src/renderer/src/ui/rowSummary'
import * as fx from '../decode/fixtures'
import { record } from '../helpers/frames'

describe('format', () => {
  it('gives the UART time of a record at the baud, 10 bits a byte', () => {
    expect(uartMs(100, 115_200)).toBeCloseTo(8.6806, 3)
    expect(formatUartTime(100, 115_200)).toBe('8.7 ms')
    expect(formatUartTime(1502, 115_200)).toBe('130.4 ms')
    expect(formatUartTime(16, 3_000_000)).toBe('0.053 ms')
    expect(formatUartTime(0, 115_200)).toBe('0.0 ms')
  })

  it('shows a dash for the UART time when no baud is set', () => {
    expect(formatUartTime(100, 0)).toBe('—')
    expect(uartMs(100, 0)).toBe(0)
  })

  it('shows times as seconds since the base with 6 decimals', () => {
    expect(formatSeconds(1500.5, 500)).toBe('1.000500')
    expect(formatSeconds(500, 500)).toBe('0.000000')
  })

  it('names the direction from the device’s side', () => {
    expect(directionText(0)).toBe('← device')
    expect(directionText(1)).toBe('→ device')
  })

  it('groups long numbers', () => {
    expect(groupDigits(115_200)).toBe('115\u202f200')
    expect(groupDigits(9600)).toBe('9\u202f600')
    expect(groupDigits(300)).toBe('300')
  })

  it('describes a framing error and the bytes it skipped', () => {
    expect(framingErrorInfo(FramingError.implausible, 37)).toBe('Framing error: implausible content; 37 bytes skipped')
    expect(framingErrorInfo(FramingError.zeroLength, 1)).toBe('Framing error: zero length; 1 byte skipped')
    expect(framingErrorInfo(99, 2)).toBe('Framing error: unknown framing error 99; 2 bytes skipped')
  })
})

describe('LruCache', () => {
  it('drops the least recently used entry past its capacity', () => {
    const cache = new LruCache<number, string>(2)
    cache.set(1, 'a')
    cache.set(2, 'b')
    expect(cache.get(1)).toBe('a') // 1 is now the most recent
    cache.set(3, 'c')
    expect(cache.get(2)).toBeUndefined()
    expect(cache.get(1)).toBe('a')
    expect(cache.get(3)).toBe('c')
    expect(cache.size).toBe(2)
  })

  it('computes a missing value once', () => {
    const cache = new LruCache<number, number>(10)
    let calls = 0
    const square = (n: number): number => (calls++, n * n)
    expect(cache.getOrAdd(4, square)).toBe(16)
    expect(cache.getOrAdd(4, square)).toBe(16)
    expect(calls).toBe(1)
  })
})

function facts(frame: Uint8Array, error = 0): FrameFacts {
  const wire = record(frame)
  const out = new FrameFacts()
  classifyRecord(wire, 0, wire.length, 0, error, wire.length, out)
  return out
}

describe('row summary', () => {
  it('decodes the Ethernet frame after the length prefix', () => {
    expect(summarizeRecord(record(fx.tcpHttpGet), 0, fx.tcpHttpGet.length + 2)).toEqual(summarizeFrame(fx.tcpHttpGet))
    expect(summarizeRecord(record(fx.arpRequest), 0, 62).protocol).toBe('ARP')
  })

  it('describes a framing-error record instead of decoding its junk', () => {
    const junk = record(fx.tcpHttpGet) // junk that happens to look like a frame is still junk
    expect(summarizeRecord(junk, FramingError.tooLong, 5000)).toEqual({
      protocol: 'UART', source: '', destination: '', info: 'Framing error: length over the device limit; 5000 bytes skipped'
    })
  })

  it('survives records too short to hold a frame', () => {
    expect(summarizeRecord(new Uint8Array(1), 0, 1).info).toMatch(/Malformed/)
  })

  it('colours a row by its highest protocol', () => {
    expect(rowTone(facts(fx.tcpHttpGet).protocols, 0)).toBe('http')
    expect(rowTone(facts(fx.tcpSyn).protocols, 0)).toBe('tcp')
    expect(rowTone(facts(fx.dnsQuery).protocols, 0)).toBe('dns')
    expect(rowTone(facts(fx.dhcpDiscover).protocols, 0)).toBe('dhcp')
    expect(rowTone(facts(fx.udpEcho).protocols, 0)).toBe('udp')
    expect(rowTone(facts(fx.arpReply).protocols, 0)).toBe('arp')
    expect(rowTone(facts(fx.icmpEchoReply).protocols, 0)).toBe('icmp')
    expect(rowTone(facts(fx.icmpv6EchoRequest).protocols, 0)).toBe('icmp')
    expect(rowTone(facts(fx.ipv4Fragment).protocols, 0)).toBe('other')
    expect(rowTone(0, 0)).toBe('other')
    expect(rowTone(facts(fx.tcpSyn, FramingError.implausible).protocols, FramingError.implausible)).toBe('error')
  })
})

function info(bytes: Uint8Array, over: Partial<RecordInfo> = {}): RecordInfo {
  return { seq: 41, time: 2500.25, direction: 1, error: 0, wireLength: bytes.length, bytes, ...over }
}

/** Every node with its path, depth first. */
function walk(nodes: readonly FieldNode[], prefix = ''): [string, FieldNode][] {
  return nodes.flatMap((n, i) => {
    const path = prefix ? `${prefix}.${i}` : String(i)
    return [[path, n] as [string, FieldNode], ...walk(n.children ?? [], path)]
  })
}

describe('details tree', () => {
  const wire = record(fx.udpEcho)
  const tree = recordTree(info(wire), 115_200, 500.25)

  it('starts with the frame and the UART record', () => {
    expect(tree[0]!.label).toBe(`Frame 42: ${wire.length} bytes on wire, 2.000000 s, → device`)
    expect(tree[0]).toMatchObject({ start: 0, length: wire.length })
    expect(tree[1]).toMatchObject({ label: `UART record, length ${fx.udpEcho.length}`, start: 0, length: 2 })
    expect(tree[1]!.children![0]).toMatchObject({ label: `Length: ${fx.udpEcho.length}`, start: 0, length: 2 })
    expect(tree[1]!.children![1]!.label).toBe('UART time: 5.4 ms at 115\u202f200 baud')
    expect(walk(tree).every(([, n]) => !n.problem)).toBe(true)
  })

  it('moves the decoder’s tree past the length prefix', () => {
    const decoded = dissectFrame(fx.udpEcho)
    expect(tree.slice(2)).toEqual(shiftNodes(decoded, 2))
    const pairs = walk(tree.slice(2)).map(([, n], i) => [n, walk(decoded)[i]![1]] as const)
    for (const [shifted, original] of pairs) {
      expect(shifted.start).toBe(original.start + 2)
      expect(shifted.length).toBe(original.length)
    }
    expect(tree[2]!.children![0]).toMatchObject({ label: 'Destination: 02:00:00:00:00:02', start: 2, length: 6 })
  })

  it('names the frame\'s device under Frame, where it is known', () => {
    expect(tree[0]!.children!.map((n) => n.label)).not.toContainEqual(expect.stringMatching(/^Device/))
    const named = recordTree(info(wire, { device: 'sensor' }), 115_200, 500.25)
    expect(named[0]!.children![1]).toMatchObject({ label: 'Device: sensor', start: 0, length: 0 })
  })

  it('leaves the decoder’s tree as it was', () => {
    const decoded = dissectFrame(fx.udpEcho)
    shiftNodes(decoded, 2)
    expect(decoded).toEqual(dissectFrame(fx.udpEcho))
  })

  it('flags a length prefix that disagrees with the record', () => {
    const bad = wire.slice()
    bad[1]! += 1
    const length = recordTree(info(bad), 115_200, 0)[1]!.children![0]!
    expect(length.problem).toBe(`The prefix says ${fx.udpEcho.length + 1} bytes, the record holds ${fx.udpEcho.length}`)
  })

  it('shows a framing error with its kind, bytes skipped and junk', () => {
    const junk = Uint8Array.of(0xde, 0xad, 0xbe, 0xef)
    const nodes = recordTree(info(junk, { error: FramingError.implausible, wireLength: 900, direction: 0 }), 0, 0)
    expect(nodes).toHaveLength(2)
    expect(nodes[0]!.label).toBe('Frame 42: 900 bytes on wire, 2.500250 s, ← device')
    expect(nodes[0]!.children!.at(-1)!.label).toBe('Bytes shown: 4 of 900')
    expect(nodes[1]).toMatchObject({ label: 'UART framing error: implausible content', start: 0, length: 4, problem: 'implausible content' })
    expect(nodes[1]!.children!.map((n) => n.label)).toEqual([
      'Kind: implausible content (implausible, code 4)',
      'Bytes skipped: 900',
      'Junk (the first 4 bytes): deadbeef'
    ])
    const whole = recordTree(info(junk, { error: FramingError.zeroLength, wireLength: 4 }), 0, 0)
    expect(whole[1]!.children!.at(-1)!.label).toBe('Junk: deadbeef')
  })

  it('finds nodes by path, and the narrowest node at a byte', () => {
    expect(nodeAtPath(tree, '2.1')!.label).toBe('Source: 02:00:00:00:00:01')
    expect(nodeAtPath(tree, '9.9')).toBeNull()
    expect(ancestorPaths('2.0.3')).toEqual(['2', '2.0'])
    expect(ancestorPaths('2')).toEqual([])
    expect(narrowestPathAt(tree, 0)).toBe('1.0') // the length prefix, not the whole frame
    expect(nodeAtPath(tree, narrowestPathAt(tree, 3)!)!.label).toBe('Destination: 02:00:00:00:00:02')
    expect(nodeAtPath(tree, narrowestPathAt(tree, 2 + 14 + 12)!)!.label).toBe('Source Address: 192.168.100.1')
    expect(narrowestPathAt(tree, wire.length)).toBeNull()
  })

  it('shows a node’s problem unless its label already says it', () => {
    expect(problemNote({ label: 'IPv4 [Malformed]', start: 0, length: 1, problem: 'Too short' })).toBe('Too short')
    expect(problemNote({ label: 'Length: 5 [Too short]', start: 0, length: 1, problem: 'Too short' })).toBeNull()
    expect(problemNote({ label: 'Fine', start: 0, length: 1 })).toBeNull()
  })
})

function text(runs: TextRun[]): string {
  return runs.map((r) => r.text).join('')
}

describe('hex lines', () => {
  const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i === 17 ? 0x41 : i))

  it('lays out 16 bytes with a double space after the 8th', () => {
    const line = text(hexRuns(bytes, 0, 16, 16, 16))
    expect(line).toBe('00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f')
    expect(line).toHaveLength(HEX_LINE_CHARS)
    expect(text(asciiRuns(bytes, 16, 32, 32, 32))).toBe('.A..............')
  })

  it('splits a line into before, highlighted and after, separators unmarked', () => {
    expect(hexRuns(bytes, 0, 16, 6, 10)).toEqual([
      { text: '00 01 02 03 04 05 ', marked: false },
      { text: '06 07  08 09', marked: true },
      { text: ' 0a 0b 0c 0d 0e 0f', marked: false }
    ])
    expect(asciiRuns(bytes, 16, 32, 16, 18)).toEqual([
      { text: '.A', marked: true },
      { text: '..............', marked: false }
    ])
  })

  it('clips a highlight to each line', () => {
    expect(clipRange({ start: 10, length: 20 }, 0, 16)).toEqual([10, 16])
    expect(clipRange({ start: 10, length: 20 }, 16, 32)).toEqual([16, 30])
    expect(clipRange({ start: 10, length: 20 }, 32, 40)).toEqual([40, 40])
    expect(clipRange({ start: 10, length: 0 }, 0, 16)).toEqual([16, 16])
    expect(clipRange(null, 0, 16)).toEqual([16, 16])
  })

  it('maps a character column back to its byte', () => {
    const line = text(hexRuns(bytes, 0, 16, 16, 16))
    for (let k = 0; k < 16; k++) {
      const col = line.indexOf(k.toString(16).padStart(2, '0'))
      expect([byteAtHexColumn(col), byteAtHexColumn(col + 1)]).toEqual([k, k])
    }
    for (let col = 0; col < HEX_LINE_CHARS + 2; col++) {
      if (line[col] === undefined || line[col] === ' ') expect(byteAtHexColumn(col)).toBe(-1)
    }
  })

  it('writes offsets as 4 hex digits', () => {
    expect(offsetText(0)).toBe('0000')
    expect(offsetText(0x5d0)).toBe('05d0')
  })
})

describe('list navigation', () => {
  it('knows when the list is scrolled to the bottom', () => {
    expect(isAtBottom(778, 222, 1000, 11)).toBe(true)
    expect(isAtBottom(770, 222, 1000, 11)).toBe(true)
    expect(isAtBottom(700, 222, 1000, 11)).toBe(false)
  })

  it('scrolls as little as it takes to show a row whole below the header', () => {
    // viewport 224 px = 24 px header + 9 rows of 22 px (+2)
    expect(revealScrollTop(5, 0, 224, 22, 24)).toBe(0)
    expect(revealScrollTop(9, 0, 224, 22, 24)).toBe(24 + 10 * 22 - 224)
    expect(revealScrollTop(3, 200, 224, 22, 24)).toBe(66)
    expect(revealScrollTop(12, 200, 224, 22, 24)).toBe(200)
  })

  it('moves the selection by key, within the rows', () => {
    expect(nextRow('ArrowDown', 4, 10, 3, 0)).toBe(5)
    expect(nextRow('ArrowUp', 0, 10, 3, 0)).toBe(0)
    expect(nextRow('PageDown', 8, 10, 3, 0)).toBe(9)
    expect(nextRow('PageUp', 5, 10, 3, 0)).toBe(2)
    expect(nextRow('Home', 5, 10, 3, 0)).toBe(0)
    expect(nextRow('End', 5, 10, 3, 0)).toBe(9)
    expect(nextRow('ArrowDown', -1, 10, 3, 6)).toBe(6)
    expect(nextRow('Enter', 5, 10, 3, 0)).toBeNull()
    expect(nextRow('ArrowDown', -1, 0, 3, 0)).toBeNull()
  })

  describe('after a change', () => {
    // 10 rows of 22 px in a 100 px viewport: the bottom is at scrollTop 120.
    const left = { scrollTop: 120, scrollHeight: 220 }

    it('follows, or keeps still, as told', () => {
      expect(afterChange(true, null, 0, 100, 220, 11)).toBe('bottom')
      expect(afterChange(false, null, 0, 100, 220, 11)).toBe('stay')
      expect(afterChange(true, left, 120, 100, 264, 11)).toBe('bottom')
      expect(afterChange(false, { scrollTop: 40, scrollHeight: 220 }, 40, 100, 264, 11)).toBe('stay')
    })

    it('notices a scroll whose event has not come yet', () => {
      expect(afterChange(true, left, 60, 100, 264, 11)).toBe('stop')
      expect(afterChange(false, { scrollTop: 40, scrollHeight: 220 }, 120, 100, 264, 11)).toBe('start')
    })

    it('does not take a resize or shrinking content for the user leaving the bottom', () => {
      expect(afterChange(true, left, 80, 140, 264, 11)).toBe('bottom') // the viewport grew
      expect(afterChange(true, left, 0, 100, 44, 11)).toBe('bottom') // cleared
      // Not following and left at the bottom on purpose: new rows do not turn following on.
      expect(afterChange(false, left, 120, 100, 264, 11)).toBe('stay')
    })
  })
})
