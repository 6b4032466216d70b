import { describe, expect, it } from 'vitest'
import { checkTcp, dissectFrame, parseTcp, summarizeFrame, tcpFlagNames } from '../../src/engine/decode'
import { hexFrame, tcpData, tcpFinAck, tcpHttpGet, tcpRst, tcpSyn, tcpSynAck } from './fixtures'
import { findNode, problems } from './wellformed'

/** A TCP segment 40000 → 5555 with the given data offset/flags byte pair, options and payload (checksums left zero, so wrong). */
function segment(offsetFlags: string, options = '', payload = ''): Uint8Array {
  const length = (40 + (options + payload).replace(/\s/g, '').length / 2).toString(16).padStart(4, '0')
  return hexFrame('020000000002 020000000001 0800', `45 00 ${length} 0001 0000 40 06 0000 c0a86401 c0a86402`,
    `9c40 15b3 00000064 000000c8 ${offsetFlags} 0400 0000 0000`, options, payload)
}

describe('TCP', () => {
  it('parses the SYN with all its options', () => {
    expect(parseTcp(tcpSyn, 34, 40)).toEqual({
      offset: 34, srcPort: 54321, dstPort: 80, seq: 0, ack: 0, headerLength: 40, flags: 0x002, window: 64240,
      checksum: 0x69f9, urgentPointer: 0, mss: 1446, payloadOffset: 74, payloadLength: 0,
      options: [
        { kind: 2, offset: 54, length: 4, value: 1446 },
        { kind: 4, offset: 58, length: 2 },
        { kind: 8, offset: 60, length: 10, tsVal: 2587634449, tsEcr: 0 },
        { kind: 1, offset: 70, length: 1 },
        { kind: 3, offset: 71, length: 3, value: 7 }
      ]
    })
  })

  it('writes Info in the product\'s format', () => {
    expect(summarizeFrame(tcpSyn).info).toBe('54321 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1446')
    expect(summarizeFrame(tcpSynAck).info).toBe('80 → 54321 [SYN, ACK] Seq=6509 Ack=1 Win=5744 Len=0 MSS=1436')
    expect(summarizeFrame(tcpFinAck).info).toBe('80 → 54321 [FIN, ACK] Seq=6585 Ack=78 Win=5744 Len=0')
    expect(summarizeFrame(tcpRst).info).toBe('5555 → 40000 [RST, ACK] Seq=0 Ack=12345 Win=0 Len=0')
    expect(summarizeFrame(tcpData).info).toBe('40000 → 5555 [PSH, ACK] Seq=270544960 Ack=1348497536 Win=502 Len=13')
  })

  it('names flags in Wireshark\'s order', () => {
    expect(tcpFlagNames(0x000)).toBe('<None>')
    expect(tcpFlagNames(0x004)).toBe('RST')
    expect(tcpFlagNames(0x029)).toBe('FIN, PSH, URG')
    expect(tcpFlagNames(0x1c2)).toBe('SYN, ECE, CWR, AE')
    expect(summarizeFrame(segment('50 00')).info).toBe('40000 → 5555 [<None>] Seq=100 Win=1024 Len=0')
  })

  it('shows options and checksum in the tree', () => {
    const tree = dissectFrame(tcpSyn)
    expect(tree[2].label).toBe('Transmission Control Protocol, Src Port: 54321, Dst Port: 80, Seq: 0, Len: 0')
    expect(findNode(tree, 'Options').children?.map((n) => n.label)).toEqual([
      'TCP Option - Maximum segment size: 1446 bytes',
      'TCP Option - SACK permitted',
      'TCP Option - Timestamps: TSval 2587634449, TSecr 0',
      'TCP Option - No-Operation (NOP)',
      'TCP Option - Window scale: 7 (multiply by 128)'
    ])
    expect(findNode([tree[2]], 'Flags').label).toBe('Flags: 0x002 (SYN)')
    expect(findNode(tree, 'Checksum').label).toBe('Checksum: 0x69f9 [correct]')
    expect(findNode(dissectFrame(tcpHttpGet), 'Checksum').label).toBe('Checksum: 0xe632 [correct]')
  })

  it('reports a wrong checksum', () => {
    const bad = tcpData.slice()
    bad[78] = 0x21
    // tshark agrees: 'Checksum: 0x1ff7 incorrect, should be 0x08f7'.
    expect(findNode([dissectFrame(bad)[2]], 'Checksum')).toMatchObject({
      label: 'Checksum: 0x1ff7 [incorrect, should be 0x08f7]', problem: 'Bad checksum, should be 0x08f7'
    })
  })

  it('decodes SACK blocks and treats everything after EOL as padding', () => {
    const h = parseTcp(segment('90 10', '0101 050a 00000001 00000005 00 ff ff ff'), 34, 36)
    expect(h?.options).toEqual([
      { kind: 1, offset: 54, length: 1 },
      { kind: 1, offset: 55, length: 1 },
      { kind: 5, offset: 56, length: 10, sack: [1, 5] },
      { kind: 0, offset: 66, length: 4 }
    ])
  })

  it.each([
    ['a zero option length', '0200 0000', 'Option length 0 does not fit the header'],
    ['an option running past the header', '0208 0000', 'Option length 8 does not fit the header'],
    ['a length byte missing', '0101 0102', 'Option length 0 does not fit the header']
  ])('stops at %s without looping', (_, options, problem) => {
    const frame = segment('60 02', options)
    const h = parseTcp(frame, 34, 24)
    expect(h?.options.at(-1)?.problem).toBe(problem)
    expect(h?.mss).toBeUndefined()
    expect(problems(dissectFrame(frame))).toContain(problem)
  })

  it('flags a known option with the wrong length and ignores its value', () => {
    const h = parseTcp(segment('60 02', '0203 0501'), 34, 24)
    expect(h?.options[0]).toEqual({ kind: 2, offset: 54, length: 3, problem: 'Bad option length 3' })
    expect(h?.mss).toBeUndefined()
  })

  it('refuses a header length under 20 or past the segment', () => {
    expect(checkTcp(segment('40 02'), 34, 20)).toBe('Bogus TCP header length (16, must be at least 20)')
    expect(checkTcp(segment('f0 02'), 34, 20)).toBe('Header truncated: 20 of 60 bytes')
    expect(summarizeFrame(segment('40 02'))).toMatchObject({ protocol: 'TCP', info: '[Malformed Packet: Bogus TCP header length (16, must be at least 20)]' })
  })

  it('shows a non-HTTP payload as data', () => {
    expect(dissectFrame(tcpData).at(-1)).toMatchObject({ label: 'Data (13 bytes)', start: 66, length: 13 })
  })
})
