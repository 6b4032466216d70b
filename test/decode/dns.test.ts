import { describe, expect, it } from 'vitest'
import { dissectFrame, parseDns, summarizeFrame } from '../../src/engine/decode'
import { dnsCnameResponse, dnsNxDomain, dnsQuery, dnsResponse, hexFrame } from './fixtures'
import { findNode, problems } from './wellformed'

/** A DNS message from the host's port 53 (lengths consistent, checksums left zero). */
function dns(message: string): Uint8Array {
  const n = message.replace(/\s/g, '').length / 2
  const hex = (v: number): string => v.toString(16).padStart(4, '0')
  return hexFrame('020000000002 020000000001 0800', `45 00 ${hex(28 + n)} 0001 0000 40 11 0000 c0a86401 c0a86402`,
    `0035 c001 ${hex(8 + n)} 0000`, message)
}

describe('DNS', () => {
  it('parses a query', () => {
    expect(parseDns(dnsQuery, 42, 29)).toEqual({
      offset: 42, length: 29, id: 0x1a2b, flags: 0x0100, response: false, opcode: 0, rcode: 0, counts: [1, 0, 0, 0],
      questions: [{ offset: 54, length: 17, name: 'example.com', type: 1, class: 1 }], records: []
    })
  })

  it('follows a compression pointer in an answer', () => {
    expect(parseDns(dnsResponse, 42, 45)?.records).toEqual([{
      section: 'Answers', offset: 71, length: 16, name: 'example.com', type: 1, class: 1, ttl: 3600,
      dataOffset: 83, dataLength: 4, data: '93.184.216.34'
    }])
  })

  it('writes Info like Wireshark, every record included', () => {
    expect(summarizeFrame(dnsQuery).info).toBe('Standard query 0x1a2b A example.com')
    expect(summarizeFrame(dnsResponse).info).toBe('Standard query response 0x1a2b A example.com A 93.184.216.34')
    expect(summarizeFrame(dnsCnameResponse).info).toBe('Standard query response 0x2b3c A www.example.com CNAME example.com A 93.184.216.34')
    expect(summarizeFrame(dnsNxDomain).info).toBe('Standard query response 0x3c4d No such name AAAA nope.example SOA ns.example')
  })

  it('builds sections in the tree', () => {
    const tree = dissectFrame(dnsCnameResponse)
    expect(tree[3].label).toBe('Domain Name System (response)')
    expect(findNode([tree[3]], 'Flags').label).toBe('Flags: 0x8180 Standard query response, No error')
    expect(findNode(tree, 'Answers').children?.map((n) => n.label)).toEqual([
      'www.example.com: type CNAME, class IN, example.com',
      'example.com: type A, class IN, 93.184.216.34'
    ])
    expect(findNode(dissectFrame(dnsNxDomain), 'Authoritative nameservers').children?.[0].label)
      .toBe('example: type SOA, class IN, ns.example')
  })

  it('shows the root name and an OPT record', () => {
    // Query for the root NS with an EDNS OPT record (UDP size 1232) in the additional section.
    const frame = dns('0001 0100 0001 0000 0000 0001  00 0002 0001  00 0029 04d0 00000000 0000')
    expect(summarizeFrame(frame).info).toBe('Standard query 0x0001 NS <Root> OPT')
  })

  it.each([
    ['a pointer to itself', '0001 0100 0001 0000 0000 0000  c00c 0001 0001', 'Standard query 0x0001 A <Name contains a pointer that loops>'],
    // The name's own bytes end after its first pointer, so the second pointer is read as the type.
    ['two pointers to each other', '0001 0100 0001 0000 0000 0000  c00e c00c 0001 0001', 'Standard query 0x0001 TYPE49164 <Name contains a pointer that loops>'],
    ['a pointer past the end', '0001 0100 0001 0000 0000 0000  c0ff 0001 0001', 'Standard query 0x0001'],
    ['a label past the end', '0001 0100 0001 0000 0000 0000  3f6162', 'Standard query 0x0001'],
    ['a reserved label type', '0001 0100 0001 0000 0000 0000  4000 0001 0001', 'Standard query 0x0001']
  ])('survives %s', (_, message, info) => {
    const frame = dns(message)
    expect(summarizeFrame(frame).info).toBe(info)
    expect(problems(dissectFrame(frame)).length).toBeGreaterThan(0)
  })

  it('stops when the counts promise more than the bytes hold', () => {
    const m = parseDns(dns('0001 8180 ffff ffff ffff ffff  00 0001 0001'), 42, 17)
    expect(m?.questions).toHaveLength(1)
    expect(m?.problem).toBe('Name runs past the end of the message')
  })

  it('rejects names longer than 255 bytes', () => {
    const label = '3f' + '61'.repeat(63)
    const frame = dns(`0001 0100 0001 0000 0000 0000 ${label.repeat(5)} 00 0001 0001`)
    expect(parseDns(frame, 42, frame.length - 42)?.problem).toBe('Name is longer than 255 bytes')
  })

  it('refuses fewer than 12 bytes', () => {
    expect(summarizeFrame(dns('0001 0100 0001'))).toMatchObject({ protocol: 'DNS', info: '[Malformed Packet: Header truncated: 6 of 12 bytes]' })
  })
})
