// The device's MAC is learned only from frames that prove they are the
// device's, and a changed MAC takes over only after repeated proof.
import { describe, expect, it } from 'vitest'

import { u32 } from '../../src/engine/decode/bytes.js'
import { DeviceIdentity, TAKEOVER_FRAMES } from '../../src/engine/deviceIdentity.js'
import { arp, DEVICE_IP, DEVICE_MAC, ethernet, GATEWAY_MAC, HOST_IP, ipv4, udp } from '../helpers/frames.js'

const OTHER_MAC = Uint8Array.of(2, 0, 0, 0, 0, 0x22)
const BROADCAST = Uint8Array.of(255, 255, 255, 255, 255, 255)
const ZERO_IP = new Uint8Array(4)

const udpFrom = (mac: Uint8Array, src: Uint8Array): Uint8Array => ethernet(GATEWAY_MAC, mac, 0x0800, ipv4(src, HOST_IP, 17, udp(7, 7, Uint8Array.of(1))))
const arpFrom = (mac: Uint8Array, sender: Uint8Array, target: Uint8Array): Uint8Array => ethernet(BROADCAST, mac, 0x0806, arp(1, mac, sender, new Uint8Array(6), target))

function watch(): { identity: DeviceIdentity; changes: () => number; see: (frame: Uint8Array) => void } {
  let changes = 0
  const identity = new DeviceIdentity(DEVICE_IP, { hostIp: u32(HOST_IP, 0), prefixLength: 24 }, () => changes++)
  return { identity, changes: () => changes, see: (f) => identity.observe(f, 0, (f[12]! << 8) | f[13]!) }
}

describe('DeviceIdentity', () => {
  it('learns the MAC from an IPv4 packet from the device address, and its address with it', () => {
    const { identity, see } = watch()
    see(udpFrom(DEVICE_MAC, DEVICE_IP))
    expect(identity.mac).toEqual(DEVICE_MAC)
    expect(identity.ipv4).toEqual(DEVICE_IP)
  })

  it('learns it from an ARP request or probe naming the device address', () => {
    const request = watch()
    request.see(arpFrom(DEVICE_MAC, DEVICE_IP, HOST_IP))
    expect(request.identity.mac).toEqual(DEVICE_MAC)
    const probe = watch()
    probe.see(arpFrom(DEVICE_MAC, ZERO_IP, DEVICE_IP))
    expect(probe.identity.mac).toEqual(DEVICE_MAC)
    expect(probe.identity.ipv4).toBeNull() // 0.0.0.0 is no address
  })

  it('learns nothing from frames that do not name the device address', () => {
    const { identity, see, changes } = watch()
    see(udpFrom(OTHER_MAC, Uint8Array.of(192, 168, 100, 9)))
    see(arpFrom(OTHER_MAC, Uint8Array.of(192, 168, 100, 9), DEVICE_IP))
    see(ethernet(BROADCAST, OTHER_MAC, 0x88cc, new Uint8Array(46)))
    expect(identity.mac).toBeNull()
    expect(identity.ipv4).toBeNull()
    expect(changes()).toBe(0)
  })

  it('hands over to another MAC only after repeated proof with none from the known one in between', () => {
    const { identity, see } = watch()
    see(udpFrom(DEVICE_MAC, DEVICE_IP))
    for (let i = 1; i < TAKEOVER_FRAMES; i++) see(udpFrom(OTHER_MAC, DEVICE_IP))
    see(udpFrom(DEVICE_MAC, DEVICE_IP)) // the known device is still talking: the count starts over
    for (let i = 1; i < TAKEOVER_FRAMES; i++) see(udpFrom(OTHER_MAC, DEVICE_IP))
    expect(identity.mac).toEqual(DEVICE_MAC)
    see(udpFrom(OTHER_MAC, DEVICE_IP))
    expect(identity.mac).toEqual(OTHER_MAC)
  })

  it('forgets the MAC (a new connection may be a new device) and says so once', () => {
    const { identity, see, changes } = watch()
    see(udpFrom(DEVICE_MAC, DEVICE_IP))
    const before = changes()
    identity.forget()
    identity.forget()
    expect(identity.mac).toBeNull()
    expect(changes()).toBe(before + 1)
  })

  it('takes a changed address only after repeated frames from it alone: a device alternating its source cannot make it churn', () => {
    const { identity, see, changes } = watch()
    see(udpFrom(DEVICE_MAC, DEVICE_IP))
    const before = changes()
    const other = Uint8Array.of(192, 168, 100, 9)
    for (let i = 0; i < 1000; i++) see(udpFrom(DEVICE_MAC, i % 2 === 0 ? other : DEVICE_IP))
    expect(identity.ipv4).toEqual(DEVICE_IP)
    expect(changes()).toBe(before)
    for (let i = 0; i < TAKEOVER_FRAMES; i++) see(udpFrom(DEVICE_MAC, other))
    expect(identity.ipv4).toEqual(other)
    expect(changes()).toBe(before + 1)
  })

  it('learns an unconfigured device (one of several) from any address of its subnet but the host\'s, and nothing else', () => {
    let changes = 0
    const identity = new DeviceIdentity(null, { hostIp: u32(HOST_IP, 0), prefixLength: 24 }, () => changes++)
    const see = (f: Uint8Array): void => identity.observe(f, 0, (f[12]! << 8) | f[13]!)
    see(udpFrom(DEVICE_MAC, HOST_IP)) // the host's own address
    see(udpFrom(DEVICE_MAC, Uint8Array.of(192, 168, 100, 255))) // the subnet's broadcast
    see(udpFrom(DEVICE_MAC, Uint8Array.of(10, 0, 0, 5))) // another subnet
    see(udpFrom(DEVICE_MAC, ZERO_IP))
    expect([identity.mac, identity.ipv4, identity.addressKey, changes]).toEqual([null, null, -1, 0])
    const seven = Uint8Array.of(192, 168, 100, 7)
    see(arpFrom(DEVICE_MAC, seven, HOST_IP))
    expect([identity.mac, identity.ipv4, identity.addressKey]).toEqual([DEVICE_MAC, seven, u32(seven, 0)])
  })
})
