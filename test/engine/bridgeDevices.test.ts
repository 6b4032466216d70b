// Which devices a bridge takes, before anything starts (no TUN, no socket): names and ways of
// reaching them are each one device's, a bridge made for one device takes no more, and its last
// device cannot be removed. Each refusal is one sentence and changes nothing.
import { describe, expect, it } from 'vitest'

import { Bridge, type DeviceOptions } from '../../src/engine/bridge.js'
import { toBridgeOptions } from '../../src/engine/bridgeSettings.js'
import { MAX_DEVICES } from '../../src/engine/deviceSpecs.js'
import { UserError } from '../../src/engine/errors.js'

const flags = { tun: 'tun0', hostIp: '192.168.100.1/24', deviceIp: '192.168.100.2', gwMac: '02:00:00:00:00:01', baud: '115200' }
const options = (sockets: string[], growable = false) => ({ ...toBridgeOptions({ ...flags, socket: sockets }, {}, false), capture: null, growable })
const device = (name: string, path: string): DeviceOptions => ({ ...options([path]).devices[0]!, name })

describe('the devices a bridge takes', () => {
  it('names each device after its socket, with its own framing; one device has the configured address, several learn theirs', () => {
    expect(new Bridge(options(['/run/a.sock'])).ports.map((p) => [p.name, p.options.deviceIp?.join('.') ?? null])).toEqual([['a', '192.168.100.2']])
    const two = new Bridge(options(['/run/a.sock', 'sensor=qemu:/run/b.sock']))
    expect(two.ports.map((p) => [p.name, p.options.framing.name, p.options.deviceIp?.join('.') ?? null])).toEqual([['a', 'esp32', null], ['sensor', 'qemu', null]])
    expect(two.stats().devices.map((d) => d.name)).toEqual(['a', 'sensor'])
  })

  it("measures each device's rates against its own line (ADDRESS@BAUD, else --baud), the totals against all lines together", () => {
    const bridge = new Bridge(options(['/run/a.sock@921600', '/run/b.sock', '/run/odd@name.sock']))
    const stats = bridge.stats()
    expect(stats.devices.map((d) => [d.name, d.baud, d.lineBytesPerSecond])).toEqual([['a', 921_600, 92_160], ['b', 115_200, 11_520], ['odd_name', 115_200, 11_520]])
    expect([stats.baud, stats.lineBytesPerSecond]).toEqual([1_152_000, 115_200])
    expect(() => new Bridge(options(['/run/a.sock@200000000']))).toThrow(/^The baud of \/run\/a\.sock@200000000 "200000000" is out of range/)
  })

  it('refuses two devices of one name, or reached one way, in one sentence', () => {
    const same = { ...options(['/run/a.sock', '/run/b.sock']) }
    same.devices = [same.devices[0]!, { ...same.devices[1]!, name: 'a' }]
    expect(() => new Bridge(same)).toThrow(new UserError('A device named a is on the bridge already; give this one another name.'))
    const growable = new Bridge(options(['/run/a.sock'], true))
    expect(() => growable.addDevice(device('b', '/run/a.sock'))).toThrow('a is reached that way already; give each device its own socket, TCP port or serial port.')
    expect(growable.ports).toHaveLength(1)
  })

  it('adds devices to a growable bridge up to the most it takes, and removes all but the last', async () => {
    const bridge = new Bridge(options(['/run/a.sock'], true))
    for (let i = 1; i < MAX_DEVICES; i++) bridge.addDevice(device(`d${i}`, `/run/d${i}.sock`))
    expect(bridge.ports).toHaveLength(MAX_DEVICES)
    expect(() => bridge.addDevice(device('one-more', '/run/x.sock'))).toThrow(`The bridge has ${MAX_DEVICES} devices, as many as it takes; remove one first.`)
    await expect(bridge.removeDevice('nobody')).rejects.toThrow('No device named nobody is on the bridge.')
    for (let i = 1; i < MAX_DEVICES; i++) await bridge.removeDevice(`d${i}`)
    await expect(bridge.removeDevice('a')).rejects.toThrow("a is the bridge's last device; stop the bridge instead.")
  })

  it('takes no more devices when made for one', () => {
    const bridge = new Bridge(options(['/run/a.sock']))
    expect(() => bridge.addDevice(device('b', '/run/b.sock'))).toThrow('Devices join a running bridge on a TUN or a TAP; start this one with them all.')
  })
})
