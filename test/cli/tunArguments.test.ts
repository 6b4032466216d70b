// What the privileged helper accepts, before it looks at privileges or
// interfaces. The user database is a stub: "toor" is root under another name.
import { describe, expect, it, vi } from 'vitest'

import { parseTunCreateFlags, type TunCreateFlags } from '../../src/cli/tunArguments.js'

vi.mock('../../src/native/index.js', () => {
  const users: Record<string, { uid: number; gid: number }> = { root: { uid: 0, gid: 0 }, toor: { uid: 0, gid: 0 }, me: { uid: 1000, gid: 1000 } }
  return { lookupUser: (login: string) => users[login] ?? null }
})

const flags: TunCreateFlags = { name: 'tun0', user: 'me', hostIp: '192.168.100.1/24', mtu: '1486' }

describe('parseTunCreateFlags', () => {
  it('gives the plan with the owner\'s uid', () => {
    expect(parseTunCreateFlags(flags)).toEqual({
      name: 'tun0', kind: 'tun', hostIp: { address: '192.168.100.1', prefixLength: 24 }, mtu: 1486, owner: { login: 'me', uid: 1000 }
    })
    expect(parseTunCreateFlags({ ...flags, tap: true }).kind).toBe('tap')
  })

  it.each(['10.1.0.1/16', '192.168.100.1/30', '1.2.3.4/24', '126.255.255.1/24', '128.0.0.1/16', '223.255.255.1/24'])('accepts --host-ip %s', (hostIp) => {
    expect(parseTunCreateFlags({ ...flags, hostIp }).hostIp).toEqual(expect.objectContaining({ address: hostIp.split('/')[0] }))
  })

  it.each([
    ['128.0.0.1/1', /would route 2147483648 addresses into the TUN; use a prefix length from 16 to 30/],
    ['10.0.0.1/15', /would route 131072 addresses into the TUN/],
    ['127.0.0.2/8', /is a loopback address/],
    ['127.1.2.3/24', /is a loopback address/],
    ['0.1.2.3/24', /is in 0\.0\.0\.0\/8/],
    ['224.0.0.1/24', /is a multicast address/],
    ['239.255.255.1/24', /is a multicast address/],
    ['240.0.0.1/24', /is in the reserved block 240\.0\.0\.0\/4/],
    ['255.255.255.255/30', /is the limited broadcast address/]
  ])('refuses --host-ip %s in one sentence', (hostIp, why) => {
    expect(() => parseTunCreateFlags({ ...flags, hostIp })).toThrow(why)
    expect(() => parseTunCreateFlags({ ...flags, hostIp })).toThrow(new RegExp(`^--host-ip ${hostIp.replaceAll('.', '\\.')} [^;]+; use [^;]+ such as 192\\.168\\.100\\.1/24\\.$`))
  })

  it.each(['root', 'toor'])('refuses --user %s, whose uid is 0', (user) => {
    expect(() => parseTunCreateFlags({ ...flags, user })).toThrow(`--user ${user} is the superuser (uid 0); give the login of the ordinary user who will run the bridge.`)
  })

  it('refuses a user the machine does not know, and a --user that is not a login name', () => {
    expect(() => parseTunCreateFlags({ ...flags, user: 'nosuch' })).toThrow(/There is no user "nosuch"/)
    expect(() => parseTunCreateFlags({ ...flags, user: 'a b' })).toThrow(/--user "a b" is not a login name/)
  })
})
