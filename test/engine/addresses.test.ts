import { describe, expect, it } from 'vitest'

import { networkOf } from '../../src/engine/addresses'

describe('networkOf', () => {
  it.each([
    ['192.168.100.1', 24, '192.168.100.0/24'],
    ['192.168.100.77', 25, '192.168.100.0/25'],
    ['192.168.100.200', 25, '192.168.100.128/25'],
    ['172.16.5.9', 30, '172.16.5.8/30'],
    ['10.1.2.3', 8, '10.0.0.0/8'],
    ['10.255.255.254', 1, '0.0.0.0/1']
  ])('%s/%i is in %s', (ip, prefix, network) => {
    expect(networkOf(ip, prefix)).toBe(network)
  })
})
