import { describe, expect, it } from 'vitest'

import { UserError } from '../../src/engine/errors'
import { checkForwards, formatForward, parseForward, passtForwardArgs, passtPortSpec, type Forward } from '../../src/engine/uplink/forwards'

function refusal(text: string, what?: string): string {
  try {
    parseForward(text, what)
  } catch (e) {
    expect(e).toBeInstanceOf(UserError)
    return (e as Error).message
  }
  throw new Error(`${JSON.stringify(text)} was accepted`)
}

/** One sentence: one line, one full stop at the end, none inside before it except in quoted text. */
function expectOneSentence(message: string): void {
  expect(message).not.toMatch(/[\n\r]/)
  expect(message).toMatch(/\.$/)
  expect(message.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\d+\.\d+\.\d+\.\d+/g, 'ADDR').replace(/\.\.\./g, '')).toMatch(/^[^.]*\.$/)
}

describe('parseForward', () => {
  it('reads tcp and udp forwards, binding 127.0.0.1 unless an address is given', () => {
    expect(parseForward('tcp:8080:80')).toEqual({ protocol: 'tcp', bindAddress: '127.0.0.1', hostPort: 8080, devicePort: 80 })
    expect(parseForward('udp:5353:53')).toEqual({ protocol: 'udp', bindAddress: '127.0.0.1', hostPort: 5353, devicePort: 53 })
    expect(parseForward('tcp:0.0.0.0:8080:80')).toEqual({ protocol: 'tcp', bindAddress: '0.0.0.0', hostPort: 8080, devicePort: 80 })
    expect(parseForward('udp:192.168.1.5:1:65535')).toEqual({ protocol: 'udp', bindAddress: '192.168.1.5', hostPort: 1, devicePort: 65535 })
    expect(parseForward('TCP:8080:80').protocol).toBe('tcp')
  })

  it('gives passt its SPEC and option, and writes the forward back as the user would', () => {
    const f = parseForward('tcp:8080:80')
    expect(passtPortSpec(f)).toBe('127.0.0.1/8080:80')
    expect(passtForwardArgs(f)).toEqual(['-t', '127.0.0.1/8080:80'])
    expect(passtForwardArgs(parseForward('udp:0.0.0.0:5353:53'))).toEqual(['-u', '0.0.0.0/5353:53'])
    expect(formatForward(f)).toBe('tcp:8080:80')
    expect(formatForward(parseForward('udp:10.0.0.1:9:9'))).toBe('udp:10.0.0.1:9:9')
  })

  it.each([
    ['', /--forward "" is empty; write it like tcp:8080:80/],
    ['   ', /is empty/],
    ['tcp: 8080:80', /contains spaces/],
    ['tcp:8080:80\n', /contains spaces/],
    ['8080:80', /does not start with its protocol, tcp or udp/],
    ['sctp:8080:80', /names protocol "sctp", which is neither tcp nor udp/],
    ['http:8080:80', /neither tcp nor udp/],
    ['tcp', /needs a host port and a device port/],
    ['tcp:8080', /needs a host port and a device port/],
    ['tcp:0:80', /the host port "0" is not a port number; give a whole number from 1 to 65535/],
    ['tcp:65536:80', /the host port "65536" is not a port number/],
    ['tcp:8080:0', /the device port "0"/],
    ['tcp:8080:', /the device port is empty/],
    ['tcp::80', /IPv6|host port is empty/],
    ['tcp:-1:80', /host port "-1"/],
    ['tcp:+80:80', /host port "\+80"/],
    ['tcp:80.5:80', /host port "80.5"/],
    ['tcp:0x50:80', /host port "0x50"/],
    ['tcp:1e3:80', /host port "1e3"/],
    ['tcp:99999999999999999999:80', /host port "999999999\.\.\."/],
    ['tcp:8080:80:90', /has one field too many/],
    ['tcp:1:2:3:4', /has too many fields/],
    ['tcp:localhost:8080:80', /"localhost" is not an IPv4 address; write it like 127\.0\.0\.1 or 0\.0\.0\.0/],
    ['tcp:256.0.0.1:8080:80', /"256\.0\.0\.1" is not an IPv4 address/],
    ['tcp:127.0.0.01:8080:80', /"127\.0\.0\.01" is not an IPv4 address/],
    ['tcp:[::1]:8080:80', /IPv6 forwards are not supported yet; bind to an IPv4 address such as 127\.0\.0\.1 or 0\.0\.0\.0/],
    ['tcp:::1:8080:80', /IPv6 forwards are not supported yet/],
    ['tcp:fe80:0:0:0:1:8080:80', /IPv6 forwards are not supported yet/],
    ['udp:::8080:80', /IPv6 forwards are not supported yet/]
  ])('refuses %j in one sentence', (text, expected) => {
    const message = refusal(text)
    expect(message).toMatch(expected)
    expectOneSentence(message)
  })

  it('keeps hostile text short and on one line, and names the option it was given', () => {
    const long = refusal(`tcp:${'9'.repeat(10_000)}:80`)
    expect(long.length).toBeLessThan(250)
    expectOneSentence(long)
    const control = refusal('tcp:80\u0000:80\u001b[31m')
    expect(control).toContain('\\u0000')
    expect(control).not.toMatch(/[\u0000-\u001f]/)
    expect(refusal('nope', 'Forward')).toMatch(/^Forward "nope"/)
    expect(refusal('"quoted"')).toContain('"\\"quoted\\""')
  })
})

describe('checkForwards', () => {
  const f = (text: string): Forward => parseForward(text)

  it('accepts distinct host ports, the same port on two protocols or two addresses, and one device port twice', () => {
    const list = [f('tcp:8080:80'), f('udp:8080:80'), f('tcp:10.0.0.1:8080:80'), f('tcp:8081:80')]
    expect(checkForwards(list)).toBe(list)
    expect(checkForwards([])).toEqual([])
  })

  it('refuses the same host port twice in one sentence', () => {
    expect(() => checkForwards([f('tcp:8080:80'), f('tcp:8080:81')])).toThrow(
      new UserError('--forward tcp:8080:80 and --forward tcp:8080:81 both take TCP host port 8080 on 127.0.0.1; give each forward its own host port.')
    )
    expect(() => checkForwards([f('udp:53:53'), f('udp:127.0.0.1:53:53')])).toThrow(new UserError('--forward udp:53:53 is given twice; give each forward once.'))
  })

  it('counts 0.0.0.0 as every address', () => {
    expect(() => checkForwards([f('tcp:8080:80'), f('tcp:0.0.0.0:8080:81')])).toThrow(
      new UserError('--forward tcp:8080:80 and --forward tcp:0.0.0.0:8080:81 both take TCP host port 8080 on 0.0.0.0; give each forward its own host port.')
    )
    expect(() => checkForwards([f('udp:0.0.0.0:9:9'), f('udp:10.1.1.1:9:7')])).toThrow(/both take UDP host port 9 on 0\.0\.0\.0/)
  })
})
