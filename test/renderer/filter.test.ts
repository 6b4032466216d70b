import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileFilter, FILTER_FIELDS, type FilterMatch } from '../../src/renderer/src/lib/filter'
import { classifyRecord, FrameFacts } from '../../src/renderer/src/lib/frameFacts'
import * as fx from '../decode/fixtures'
import { record } from '../helpers/frames'

type FixtureName = keyof typeof fx.fixtures

/** Facts of a fixture as one record of the capture; wire length is the record's unless given. */
function facts(frame: Uint8Array, direction = 0, wireLength?: number): FrameFacts {
  const wire = record(frame)
  const f = new FrameFacts()
  classifyRecord(wire, 0, wire.length, direction, 0, wireLength ?? wire.length, f)
  return f
}

/** A framing-error record: junk bytes from the device. */
function junk(direction = 0): FrameFacts {
  const f = new FrameFacts()
  classifyRecord(Uint8Array.of(0x41, 0x42, 0x43), 0, 3, direction, 1, 3, f)
  return f
}

const fixtureNames = Object.keys(fx.fixtures) as FixtureName[]

function compiled(filter: string): FilterMatch {
  const result = compileFilter(filter)
  if (!result.ok) throw new Error(`${filter}: ${result.message}`)
  return result.match
}

/** The fixtures (from the device) a filter keeps. */
function kept(filter: string): FixtureName[] {
  const match = compiled(filter)
  return fixtureNames.filter((name) => match(facts(fx.fixtures[name])))
}

/** Each filter's verdict on one record. */
function expectVerdicts(f: FrameFacts, verdicts: Record<string, boolean>): void {
  for (const [filter, expected] of Object.entries(verdicts)) expect(compiled(filter)(f), filter).toBe(expected)
}

function error(filter: string): { message: string; position: number } {
  const result = compileFilter(filter)
  if (result.ok) throw new Error(`${filter} compiled`)
  return { message: result.message, position: result.position }
}

describe('empty filter', () => {
  it('matches everything, junk included, for empty or blank text', () => {
    for (const text of ['', '   ', '\t\n']) {
      const result = compileFilter(text)
      expect(result.ok && result.empty).toBe(true)
      if (result.ok) expect([result.match(junk()), result.match(facts(fx.arpRequest))]).toEqual([true, true])
    }
    const result = compileFilter('tcp')
    expect(result.ok && result.empty).toBe(false)
  })
})

describe('protocols', () => {
  it('keeps the frames that carry each protocol', () => {
    expect(kept('arp')).toEqual(['arpRequest', 'arpReply'])
    expect(kept('http')).toEqual(['tcpHttpGet', 'tcpHttpResponse'])
    expect(kept('dhcp')).toEqual(['dhcpDiscover', 'dhcpOffer'])
    expect(kept('dns')).toEqual(['dnsQuery', 'dnsResponse', 'dnsCnameResponse', 'dnsNxDomain'])
    expect(kept('icmp')).toEqual(['icmpEchoRequest', 'icmpEchoReply', 'icmpPortUnreachable'])
    expect(kept('udp')).toEqual([
      'udpEcho', 'ipv4BadChecksum', 'dhcpDiscover', 'dhcpOffer', 'dnsQuery', 'dnsResponse', 'udp6', 'dnsCnameResponse', 'dnsNxDomain'
    ])
    expect(kept('tcp')).toEqual(['tcpSyn', 'tcpSynAck', 'tcpHttpGet', 'tcpHttpResponse', 'tcpFinAck', 'tcpRst', 'tcpData'])
    expect(kept('icmpv6')).toHaveLength(8)
    expect(kept('ipv6')).toHaveLength(10)
    expect(kept('ip')).toHaveLength(19)
    expect(kept('eth')).toEqual(fixtureNames)
  })

  it('"frame" matches every record, "errors" only framing-error records', () => {
    expect(kept('frame')).toEqual(fixtureNames)
    expect(kept('errors')).toEqual([])
    expect(compiled('errors')(junk())).toBe(true)
    expect(compiled('frame')(junk())).toBe(true)
    expect(compiled('eth')(junk())).toBe(false)
  })

  it('ignores case in names and keywords', () => {
    expect(kept('TCP AND Http')).toEqual(kept('tcp && http'))
    expect(kept('IP.Addr == 192.168.100.1')).toEqual(kept('ip.addr == 192.168.100.1'))
  })
})

describe('IPv4 addresses', () => {
  const tcpSyn = facts(fx.tcpSyn) // 192.168.100.1 → 192.168.100.2

  it('compares source, destination or either end', () => {
    expectVerdicts(tcpSyn, {
      'ip.src == 192.168.100.1': true,
      'ip.dst == 192.168.100.1': false,
      'ip.dst == 192.168.100.2': true,
      'ip.addr == 192.168.100.2': true,
      'ip.addr == 10.0.0.1': false
    })
    expect(kept('ip.addr == 255.255.255.255')).toEqual(['dhcpDiscover'])
  })

  it('matches subnets in CIDR notation', () => {
    expectVerdicts(tcpSyn, {
      'ip.addr == 192.168.100.0/24': true,
      'ip.addr == 192.168.0.0/16': true,
      'ip.addr == 192.168.101.0/24': false,
      'ip.src == 192.168.100.1/32': true,
      'ip.src == 192.168.100.0/31': true,
      'ip.src == 192.168.100.0/32': false,
      'ip.src == 128.0.0.0/1': true, // the high bit set: unsigned arithmetic
      'ip.src == 0.0.0.0/1': false
    })
    expect(kept('ip.addr == 1.2.3.4/0')).toEqual(kept('ip'))
  })

  it('"!=" means neither end, and is false without IPv4', () => {
    expectVerdicts(tcpSyn, {
      'ip.addr != 192.168.100.1': false, // the source is
      'ip.addr != 10.0.0.1': true,
      'ip.src != 192.168.100.2': true,
      'ip.addr != 10.0.0.0/8': true
    })
    expect(kept('ip.addr != 192.168.100.1')).toEqual(['dhcpDiscover'])
    // Without the field both are false; negating the whole test is what matches non-IP frames.
    expectVerdicts(facts(fx.arpRequest), { 'ip.addr == 10.0.0.1': false, 'ip.addr != 10.0.0.1': false, '!(ip.addr == 10.0.0.1)': true })
  })

  it('a bare address field means the frame has it', () => {
    expect(kept('ip.src')).toEqual(kept('ip'))
    expect(kept('ip.addr')).toEqual(kept('ip'))
  })
})

describe('IPv6 addresses', () => {
  const udp6 = facts(fx.udp6) // fd00::1 → fd00::2

  it('compares bytes, whatever the text form', () => {
    for (const form of ['fd00::1', 'FD00::0001', 'fd00:0:0:0:0:0:0:1', 'fd00:0000:0000:0000:0000:0000:0000:0001', 'fd00::0.0.0.1']) {
      expect(compiled(`ipv6.src == ${form}`)(udp6)).toBe(true)
    }
    expectVerdicts(udp6, {
      'ipv6.dst == fd00::1': false,
      'ipv6.addr == fd00::2': true,
      'ipv6.addr == ::': false,
      'ipv6.addr != fd00::3': true,
      'ipv6.addr != fd00::1': false
    })
    expectVerdicts(facts(fx.udpEcho), { 'ipv6.addr == fd00::1': false, 'ipv6.addr != fd00::1': false })
  })

  it('matches prefixes', () => {
    expect(kept('ipv6.src == fe80::/10')).toEqual([
      'icmpv6NeighborSolicitation', 'icmpv6NeighborAdvertisement', 'icmpv6RouterSolicitation', 'ipv6HopByHopMld', 'icmpv6RouterAdvertisement'
    ])
    expect(kept('ipv6.dst == ff02::/16')).toEqual([
      'icmpv6NeighborSolicitation', 'icmpv6RouterSolicitation', 'ipv6HopByHopMld', 'icmpv6RouterAdvertisement'
    ])
    expectVerdicts(udp6, {
      'ipv6.addr == fd00::/8': true,
      'ipv6.addr == fd00::/127': true,
      'ipv6.addr == fd00::/128': false,
      'ipv6.addr == ::ffff:1.2.3.4/0': true
    })
  })
})

describe('ports and lengths', () => {
  it('matches either end for tcp.port and udp.port, and only that protocol', () => {
    expect(kept('tcp.port == 80')).toEqual(['tcpSyn', 'tcpSynAck', 'tcpHttpGet', 'tcpHttpResponse', 'tcpFinAck'])
    expect(kept('udp.port == 53')).toEqual(['dnsQuery', 'dnsResponse', 'dnsCnameResponse', 'dnsNxDomain'])
    expect(kept('udp.port == 80')).toEqual([])
    expect(kept('tcp.port == 53')).toEqual([])
  })

  it('compares one end with srcport and dstport', () => {
    expect(kept('tcp.dstport == 80')).toEqual(['tcpSyn', 'tcpHttpGet'])
    expect(kept('tcp.srcport == 80')).toEqual(['tcpSynAck', 'tcpHttpResponse', 'tcpFinAck'])
    expect(kept('udp.srcport == 53')).toEqual(['dnsResponse', 'dnsCnameResponse', 'dnsNxDomain'])
    expect(kept('udp.dstport == 67')).toEqual(['dhcpDiscover'])
  })

  it('takes every comparison operator and hex numbers', () => {
    expectVerdicts(facts(fx.tcpSyn), { // 54321 → 80
      'tcp.dstport == 0x50': true, 'tcp.dstport == 0X50': true, 'tcp.dstport != 80': false,
      'tcp.dstport < 80': false, 'tcp.dstport <= 80': true, 'tcp.dstport > 79': true, 'tcp.dstport >= 81': false,
      'tcp.port < 1024': true, 'tcp.port > 60000': false, 'tcp.port >= 54321': true, 'tcp.port != 80': false,
      'tcp.port != 443': true, 'tcp.srcport eq 54321': true, 'tcp.srcport ne 54321': false,
      'tcp.srcport lt 54322': true, 'tcp.srcport le 54320': false, 'tcp.srcport gt 54320': true, 'tcp.srcport ge 54322': false
    })
  })

  it('"!=" on a port is false for frames of another protocol', () => {
    expect(compiled('udp.port != 53')(facts(fx.tcpSyn))).toBe(false)
    expect(compiled('tcp.port != 80')(facts(fx.udpEcho))).toBe(false)
  })

  it('compares frame.len with the wire length, for junk records too', () => {
    const f = facts(fx.arpRequest, 0, 62)
    expect([compiled('frame.len == 62')(f), compiled('frame.len > 61')(f), compiled('frame.len < 62')(f)]).toEqual([true, true, false])
    expect(compiled('frame.len == 3')(junk())).toBe(true)
    expect(compiled('frame.len')(junk())).toBe(true)
  })
})

describe('TCP flags', () => {
  it('a flag alone is true when its bit is set', () => {
    expect(kept('tcp.flags.syn')).toEqual(['tcpSyn', 'tcpSynAck'])
    expect(kept('tcp.flags.ack')).toEqual(['tcpSynAck', 'tcpHttpGet', 'tcpHttpResponse', 'tcpFinAck', 'tcpRst', 'tcpData'])
    expect(kept('tcp.flags.fin')).toEqual(['tcpFinAck'])
    expect(kept('tcp.flags.rst')).toEqual(['tcpRst'])
    expect(kept('tcp.flags.push')).toEqual(['tcpHttpGet', 'tcpHttpResponse', 'tcpData'])
  })

  it('compares with 0 and 1 (or true and false), only on TCP frames', () => {
    expect(kept('tcp.flags.syn == 1')).toEqual(kept('tcp.flags.syn'))
    expect(kept('tcp.flags.syn == true')).toEqual(kept('tcp.flags.syn'))
    expect(kept('tcp.flags.syn != 0')).toEqual(kept('tcp.flags.syn'))
    expect(kept('tcp.flags.syn == 0')).toEqual(['tcpHttpGet', 'tcpHttpResponse', 'tcpFinAck', 'tcpRst', 'tcpData'])
    expect(kept('tcp.flags.syn == false')).toEqual(kept('tcp.flags.syn == 0'))
    expect(kept('tcp.flags.syn != 1')).toEqual(kept('tcp.flags.syn == 0'))
    expect(kept('tcp.flags.ack == 0')).toEqual(['tcpSyn'])
  })
})

describe('direction', () => {
  const fromDevice = facts(fx.arpRequest, 0)
  const toDevice = facts(fx.arpReply, 1)

  it('matches to-device and from-device with == and !=', () => {
    expect([compiled('dir == to-device')(toDevice), compiled('dir == to-device')(fromDevice)]).toEqual([true, false])
    expect([compiled('dir == from-device')(toDevice), compiled('dir == from-device')(fromDevice)]).toEqual([false, true])
    expect([compiled('dir != to-device')(toDevice), compiled('dir != to-device')(fromDevice)]).toEqual([false, true])
    expect(compiled('dir == TO-DEVICE')(toDevice)).toBe(true)
    expect(compiled('errors && dir == to-device')(junk(1))).toBe(true)
  })
})

describe('device', () => {
  /** The capture's interfaces as the status names them: esp32 (0), sensor (1), and sensor again after a re-add (2). */
  const interfaces = ['esp32-uart1', 'sensor', 'sensor', 'a.b_c-2']
  const on = (port: number): FrameFacts => {
    const f = facts(fx.icmpEchoRequest)
    f.port = port
    return f
  }
  const match = (filter: string, context = { interfaces }): FilterMatch => {
    const result = compileFilter(filter, context)
    if (!result.ok) throw new Error(`${filter}: ${result.message}`)
    return result.match
  }
  const ports = (filter: string, context = { interfaces }): number[] => [0, 1, 2, 3, 4].filter((port) => match(filter, context)(on(port)))

  it('matches the records of the device of that name, by either spelling, on every port it had', () => {
    expect(ports('dev == sensor')).toEqual([1, 2])
    expect(ports('device == esp32-uart1')).toEqual([0])
    expect(ports('dev eq a.b_c-2')).toEqual([3])
    expect(ports('DEV == "sensor"')).toEqual([1, 2])
  })

  it('"!=" is every other device', () => {
    expect(ports('dev != sensor')).toEqual([0, 3, 4])
    expect(ports('dev ne esp32-uart1')).toEqual([1, 2, 3, 4])
  })

  it('a name no device has (yet) matches nothing, and is not an error', () => {
    expect(ports('dev == nobody')).toEqual([])
    expect(ports('dev != nobody')).toEqual([0, 1, 2, 3, 4])
    expect(ports('dev == sensor', { interfaces: [] })).toEqual([])
    expect(compileFilter('dev == sensor').ok).toBe(true)
  })

  it('names are compared exactly (letters keep their case)', () => {
    expect(ports('dev == Sensor')).toEqual([])
  })

  it('a name that is also an operator word is written in quotes', () => {
    expect(ports('dev == "and"', { interfaces: ['x', 'and'] })).toEqual([1])
    expect(compileFilter('dev == and', { interfaces: ['and'] }).ok).toBe(false)
  })

  it('combines with the other fields', () => {
    const f = on(1)
    expect(match('dev == sensor && icmp')(f)).toBe(true)
    expect(match('dev == sensor && tcp')(f)).toBe(false)
    expect(match('!(dev == sensor) || dir == from-device')(f)).toBe(true)
    expect(match('dev == esp32-uart1 || dev == sensor')(on(0))).toBe(true)
  })

  it('junk records carry their device too', () => {
    const j = junk()
    j.port = 1
    expect(match('dev == sensor && errors')(j)).toBe(true)
  })
})

describe('logic', () => {
  it('combines with &&, ||, ! and their word forms', () => {
    expect(kept('tcp && tcp.port == 80 && !http')).toEqual(['tcpSyn', 'tcpSynAck', 'tcpFinAck'])
    expect(kept('tcp and tcp.port == 80 and not http')).toEqual(kept('tcp && tcp.port == 80 && !http'))
    expect(kept('arp || dhcp')).toEqual(['arpRequest', 'arpReply', 'dhcpDiscover', 'dhcpOffer'])
    expect(kept('arp or dhcp')).toEqual(kept('arp || dhcp'))
    expect(kept('!ip && !ipv6')).toEqual(['arpRequest', 'arpReply', 'unknownEtherType'])
    expect(kept('!!arp')).toEqual(kept('arp'))
    expect(kept('not not not arp')).toEqual(kept('!arp'))
    expect(kept('tcp&&http')).toEqual(kept('http'))
    expect(kept('ip.addr==192.168.100.2&&tcp.flags.rst')).toEqual(['tcpRst'])
  })

  it('binds ! tighter than &&, and && tighter than ||', () => {
    // arp || (tcp && http), not (arp || tcp) && http
    expect(kept('arp || tcp && http')).toEqual(['arpRequest', 'arpReply', 'tcpHttpGet', 'tcpHttpResponse'])
    expect(kept('(arp || tcp) && http')).toEqual(['tcpHttpGet', 'tcpHttpResponse'])
    expect(kept('tcp && http || arp')).toEqual(kept('arp || tcp && http'))
    // (!arp) && eth, not !(arp && eth)
    expect(kept('!arp && eth')).toEqual(kept('!arp'))
    expect(kept('!(arp && eth)')).toEqual(kept('!arp'))
    expect(kept('!tcp || tcp')).toEqual(fixtureNames)
    expect(kept('!(tcp || udp)')).toEqual(kept('!tcp && !udp'))
    // A comparison is one operand: '!' negates all of it.
    expect(kept('!tcp.port == 80')).toEqual(kept('!(tcp.port == 80)'))
    expect(kept('not ip.addr == 192.168.100.1 && ip')).toEqual(['dhcpDiscover'])
  })

  it('nests parentheses', () => {
    expect(kept('((tcp.port == 80) && ((!tcp.flags.syn)))')).toEqual(['tcpHttpGet', 'tcpHttpResponse', 'tcpFinAck'])
    expect(kept('(((arp)))')).toEqual(kept('arp'))
  })
})

describe('errors', () => {
  const cases: Array<[string, string, number]> = [
    ['tcp.prot == 80', 'Unknown field "tcp.prot" at 1; did you mean tcp.port?', 1],
    ['ip.adr == 1.2.3.4', 'Unknown field "ip.adr" at 1; did you mean ip.addr?', 1],
    ['tcp && htp', 'Unknown field "htp" at 8; did you mean http?', 8],
    ['foo', 'Unknown field "foo" at 1', 1],
    ['constructor', 'Unknown field "constructor" at 1', 1],
    ['192.168.1.1', 'Unknown field "192.168.1.1" at 1; did you mean ip.addr == 192.168.1.1?', 1],
    ['ip.addr == 300.1.1.1', 'Expected an IPv4 address after ip.addr == at 12', 12],
    ['ip.addr == 192.168.100.0/33', 'Expected an IPv4 address after ip.addr == at 12', 12],
    ['ip.addr == fd00::1', 'Expected an IPv4 address after ip.addr == at 12', 12],
    ['ip.src ==', 'Expected an IPv4 address after ip.src == at 10', 10],
    ['ip.dst == (tcp)', 'Expected an IPv4 address after ip.dst == at 11', 11],
    ['ipv6.addr == fe80::1::2', 'Expected an IPv6 address after ipv6.addr == at 14', 14],
    ['ipv6.addr == 1:2:3:4:5:6:7', 'Expected an IPv6 address after ipv6.addr == at 14', 14],
    ['ipv6.addr == 1:2:3:4:5:6:7:8::', 'Expected an IPv6 address after ipv6.addr == at 14', 14],
    ['ipv6.addr == 12345::', 'Expected an IPv6 address after ipv6.addr == at 14', 14],
    ['tcp.port == http', 'Expected a number after tcp.port == at 13', 13],
    ['tcp.port == -1', 'Expected a number after tcp.port == at 13', 13],
    ['frame.len > 0x', 'Expected a number after frame.len > at 13', 13],
    ['tcp.flags.syn == 2', 'Expected 0 or 1 after tcp.flags.syn == at 18', 18],
    ['dir == up', 'Expected to-device or from-device after dir == at 8', 8],
    ['dir', 'Expected "==" or "!=" after dir at 4', 4],
    ['tcp.flags.syn < 1', 'Operator "<" does not apply to tcp.flags.syn at 15', 15],
    ['ip.addr > 1.2.3.4', 'Operator ">" does not apply to ip.addr at 9', 9],
    ['dir lt to-device', 'Operator "lt" does not apply to dir at 5', 5],
    ['tcp == 1', 'Operator "==" does not apply to tcp at 5', 5],
    ['tcp.port 80', 'Expected an operator such as "==" before "80" at 10', 10],
    ['(tcp', 'Unclosed "(" at 1', 1],
    ['tcp && (udp || (arp)', 'Unclosed "(" at 8', 8],
    ['tcp)', 'Unmatched ")" at 4', 4],
    ['tcp udp', 'Expected "&&" or "||" before "udp" at 5', 5],
    ['(tcp udp)', 'Expected "&&" or "||" before "udp" at 6', 6],
    ['tcp.port == 80 == 1', 'Expected "&&" or "||" before "==" at 16', 16],
    ['tcp &&', 'Expected a field or protocol after "&&" at 7', 7],
    ['tcp and', 'Expected a field or protocol after "and" at 8', 8],
    ['tcp || || udp', 'Expected a field or protocol after "||" at 8', 8],
    ['!', 'Expected a field or protocol after "!" at 2', 2],
    ['()', 'Expected a field or protocol after "(" at 2', 2],
    ['&& tcp', 'Expected a field or protocol before "&&" at 1', 1],
    [')', 'Expected a field or protocol before ")" at 1', 1],
    ['tcp.port = 80', 'Unexpected "=" at 10; did you mean "=="?', 10],
    ['tcp & udp', 'Unexpected "&" at 5; did you mean "&&"?', 5],
    ['tcp | udp', 'Unexpected "|" at 5; did you mean "||"?', 5],
    ['tcp @ udp', 'Unexpected character "@" at 5', 5],
    // Quotes are for device names only (dev == "sensor").
    ['dir == "to-device"', 'Expected to-device or from-device after dir == at 8', 8],
    ['tcp.port == "80"', 'Expected a number after tcp.port == at 13', 13],
    ['"tcp"', 'Expected a field or protocol before "tcp" at 1', 1],
    ['dev == "sensor', 'Unclosed quote at 8', 8],
    ['dev == a/b', 'Expected a device name (letters, digits, ".", "_" or "-", up to 32) after dev == at 8', 8],
    ['device != ' + 'x'.repeat(33), 'Expected a device name (letters, digits, ".", "_" or "-", up to 32) after device != at 11', 11],
    ['dev == ""', 'Expected a device name (letters, digits, ".", "_" or "-", up to 32) after dev == at 8', 8],
    ['dev == (tcp)', 'Expected a device name (letters, digits, ".", "_" or "-", up to 32) after dev == at 8', 8],
    ['dev', 'Expected "==" or "!=" after dev at 4', 4],
    ['dev sensor', 'Expected an operator such as "==" before "sensor" at 5', 5],
    ['dev > sensor', 'Operator ">" does not apply to dev at 5', 5],
    ['tcp 😀', 'Unexpected character "😀" at 5', 5],
    ['('.repeat(65) + 'tcp' + ')'.repeat(65), 'More than 64 nested "(" at 65', 65]
  ]

  for (const [filter, message, position] of cases) {
    it(`reports ${JSON.stringify(filter.length > 30 ? filter.slice(0, 30) + '…' : filter)}`, () => {
      expect(error(filter)).toEqual({ message, position })
    })
  }

  it('accepts the deepest nesting it allows', () => {
    expect(kept('('.repeat(64) + 'arp' + ')'.repeat(64))).toEqual(kept('arp'))
  })

  it('knows every field it lists', () => {
    for (const name of FILTER_FIELDS) {
      const result = compileFilter(name)
      expect(result.ok || result.message.startsWith('Expected "==" or "!="'), name).toBe(true)
    }
  })
})

// ---- Properties

/** Records to evaluate filters on: every fixture in both directions, and junk. */
const samples: FrameFacts[] = [
  ...fixtureNames.flatMap((name) => [facts(fx.fixtures[name], 0), facts(fx.fixtures[name], 1, 1000)]),
  junk(0),
  junk(1)
]

/** Valid filters that need no parentheses around them. */
const ATOMS = [
  'eth', 'arp', 'ip', 'ipv6', 'icmp', 'icmpv6', 'tcp', 'udp', 'dhcp', 'dns', 'http', 'errors', 'frame',
  'ip.addr == 192.168.100.1', 'ip.src == 192.168.100.0/24', 'ip.dst != 192.168.100.2', 'ipv6.addr == fd00::1',
  'ipv6.src == fe80::/10', 'ipv6.dst != fd00::2', 'tcp.port == 80', 'udp.port != 53', 'tcp.srcport >= 1024',
  'udp.dstport < 100', 'frame.len > 80', 'frame.len <= 0x40', 'tcp.flags.syn', 'tcp.flags.ack == 0', 'tcp.flags.fin != 1',
  'tcp.flags.push == 1', 'tcp.flags.rst', 'dir == to-device', 'dir != from-device', 'dev == sensor', 'device != esp32-uart1'
]

type Expr = { atom: string } | { not: Expr } | { and: [Expr, Expr] } | { or: [Expr, Expr] }

const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...ATOMS).map((atom) => ({ atom })),
    tie('expr').map((e) => ({ not: e })),
    fc.tuple(tie('expr'), tie('expr')).map((pair) => ({ and: pair })),
    fc.tuple(tie('expr'), tie('expr')).map((pair) => ({ or: pair }))
  )
}))

/** Writes an expression with only the parentheses precedence needs, in symbols or in words. */
function render(e: Expr, words: boolean): string {
  const [NOT, AND, OR] = words ? ['not ', ' and ', ' or '] : ['!', ' && ', ' || ']
  const level = (x: Expr): number => ('or' in x ? 0 : 'and' in x ? 1 : 2)
  const wrap = (x: Expr, min: number): string => (level(x) < min ? `(${render(x, words)})` : render(x, words))
  if ('atom' in e) return e.atom // a comparison binds tighter than '!': '!tcp.port == 80' is '!(tcp.port == 80)'
  if ('not' in e) return NOT + wrap(e.not, 2)
  if ('and' in e) return wrap(e.and[0], 1) + AND + wrap(e.and[1], 1)
  return wrap(e.or[0], 0) + OR + wrap(e.or[1], 0)
}

/** The meaning of an expression from its atoms alone, each compiled by itself. */
function evaluate(e: Expr, f: FrameFacts): boolean {
  if ('atom' in e) return compiled(e.atom)(f)
  if ('not' in e) return !evaluate(e.not, f)
  if ('and' in e) return evaluate(e.and[0], f) && evaluate(e.and[1], f)
  return evaluate(e.or[0], f) || evaluate(e.or[1], f)
}

describe('filter properties', () => {
  it('never throws on arbitrary text, and reports a position inside it', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom(...'()!&|=<> .:/-x0') })), (text) => {
        const result = compileFilter(text)
        if (result.ok) for (const f of samples) expect(typeof result.match(f)).toBe('boolean')
        else {
          expect(result.message.length).toBeGreaterThan(0)
          expect(result.message).toContain(` at ${result.position}`)
          expect(result.position).toBeGreaterThanOrEqual(1)
          expect(result.position).toBeLessThanOrEqual(text.length + 1)
        }
      }),
      { numRuns: 2000 }
    )
  })

  it('never throws on arbitrary sequences of valid tokens', () => {
    const token = fc.constantFrom(
      ...ATOMS.flatMap((a) => a.split(' ')), '(', ')', '!', '&&', '||', 'and', 'or', 'not', 'eq', 'ne', '==', '!=', '<', '>=',
      'fd00::/8', '0x10', 'to-device', ''
    )
    fc.assert(
      fc.property(fc.array(token, { maxLength: 25 }), fc.constantFrom(' ', ''), (tokens, separator) => {
        const result = compileFilter(tokens.join(separator))
        if (result.ok) for (const f of samples) result.match(f)
      }),
      { numRuns: 3000 }
    )
  })

  it('survives hostile nesting and length without exhausting the stack', () => {
    for (const text of ['('.repeat(100_000), '!'.repeat(100_000) + 'tcp', Array(50_000).fill('tcp').join(' && '), 'x'.repeat(100_000)]) {
      const result = compileFilter(text)
      if (result.ok) for (const f of samples) result.match(f)
    }
  })

  it('!(A) matches exactly the records A does not', () => {
    fc.assert(
      fc.property(expr, fc.boolean(), (e, words) => {
        const a = compiled(render(e, words))
        const notA = compiled(`!(${render(e, words)})`)
        for (const f of samples) expect(notA(f)).toBe(!a(f))
      }),
      { numRuns: 500 }
    )
  })

  it('A && B and A || B agree with A and B evaluated apart', () => {
    fc.assert(
      fc.property(expr, expr, (x, y) => {
        const [a, b] = [render(x, false), render(y, false)]
        const [matchA, matchB] = [compiled(a), compiled(b)]
        const [and, or] = [compiled(`(${a}) && (${b})`), compiled(`(${a}) || (${b})`)]
        for (const f of samples) {
          expect(and(f)).toBe(matchA(f) && matchB(f))
          expect(or(f)).toBe(matchA(f) || matchB(f))
        }
      }),
      { numRuns: 500 }
    )
  })

  it('precedence: a filter written with the fewest parentheses means its expression tree', () => {
    fc.assert(
      fc.property(expr, fc.boolean(), (e, words) => {
        const match = compiled(render(e, words))
        for (const f of samples) expect(match(f)).toBe(evaluate(e, f))
      }),
      { numRuns: 1000 }
    )
  })
})
