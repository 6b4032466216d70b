// The TUN/TAP addon against the real kernel, inside a network namespace this
// test creates. The test re-runs itself in the namespace (ip netns exec) so
// that the addon's ioctls and the TUN live there.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'

const SCRIPT = fileURLToPath(new URL('./tunAddonProbe.ts', import.meta.url))

describe.skipIf(skipNetns)('TUN addon in a network namespace', () => {
  let ns: Netns
  beforeAll(async () => {
    requireNetns()
    ns = await createNamespace('tsaddon')
  })
  afterAll(() => destroyAll())

  const probe = (step: string): Record<string, unknown> => {
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))
    const r = spawnSync('ip', ['netns', 'exec', ns.name, tsx, SCRIPT, step], { encoding: 'utf8', timeout: 30_000 })
    expect(r.status, r.stderr).toBe(0)
    return JSON.parse(r.stdout.trim().split('\n').pop()!)
  }

  it('creates a TUN, configures it through ioctls and reports its state', () => {
    expect(probe('configure')).toEqual({
      before: { name: 'tsa0', mtu: 1500, up: false, kind: 'tun', driver: 'tun', address: null, prefixLength: null },
      after: { name: 'tsa0', mtu: 1486, up: true, kind: 'tun', driver: 'tun', address: '192.168.100.1', prefixLength: 24 },
      lo: { kind: 'other' },
      missing: null,
      goneAfterClose: null
    })
  })

  it('writes a batch of packets into the kernel and reads its answers back in batches', () => {
    const r = probe('echo')
    // Three echo requests "from the device" written in one call; three replies read back.
    expect(r.written).toBe(3)
    expect(r.replies).toEqual([1, 2, 3])
    expect(r.batchCalls).toBeLessThanOrEqual(3)
    expect(r.lastWriteError).toBe(null)
  })

  it('names errnos that libuv does not know: EBADFD for a write to a deleted TUN', () => {
    expect(probe('deleted')).toEqual({ written: 0, lastWriteError: 'EBADFD' })
  })

  it('reports failures with the errno name, and refuses use after close', () => {
    expect(probe('errors')).toEqual({
      tooLong: 'interface name too long: averyveryverylongname',
      wrongKind: { code: 'EINVAL', syscall: 'TUNSETIFF' },
      afterClose: 'the TUN device is closed',
      badSpan: 'span outside the buffer',
      tap: { kind: 'tap' }
    })
  })
})
