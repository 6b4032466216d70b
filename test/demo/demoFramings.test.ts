// The demo device in the engine's other framings: its transmitter puts each
// frame on the wire with the framing's record header or encoder (SLIP's
// escapes), bounded and paced in wire bytes; its receiver cuts the stream with
// the engine's decoder, counting junk and text and resyncing by the framing's
// rules; with bare IP (SLIP without TAP) its stack sends and takes IPv4 packets
// with no Ethernet header and no ARP.
import net from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { DemoDevice } from '../../src/demo/demoDevice.js'
import { junkBytes, oversizeRecord, zeroLengthRecord } from '../../src/demo/faults.js'
import { DeviceStack } from '../../src/demo/stack/deviceStack.js'
import { FramingReceiver } from '../../src/demo/uart/framingReceiver.js'
import { UartTransmitter } from '../../src/demo/uart/uartTransmitter.js'
import { FramingError } from '../../src/engine/counters.js'
import type { Framing, FramingSink } from '../../src/engine/framing/framing.js'
import { framingFor } from '../../src/engine/framing/index.js'
import { encodeSlip, SLIP_END, SLIP_ESC, SLIP_ESC_END, SLIP_ESC_ESC, slipEncodedMax } from '../../src/engine/framing/slip.js'
import { concat, DEVICE_IP, DEVICE_MAC, deviceUdpFrame, ethernet, GATEWAY_MAC, HOST_IP, icmpEcho, ipv4 } from '../helpers/frames.js'
import { ManualClock } from '../helpers/manualClock.js'

const qemu = framingFor('qemu')
const slip = framingFor('slip', 'ethernet')
const slipIp = framingFor('slip', 'ip')

function transmitter(framing: Framing, baud: number) {
  const clock = new ManualClock()
  const written: Uint8Array[] = []
  const tx = new UartTransmitter({ baud, clock, framing, write: (bytes) => (written.push(Uint8Array.from(bytes)), true), onReady: () => {} })
  tx.setConnected(true)
  const stream = () => concat(written)
  return { tx, clock, stream }
}

/** What the engine's decoder for `framing` makes of `stream`. */
function decode(framing: Framing, stream: Uint8Array, maxFrame = framing.limits.defaultMaxFrame) {
  const frames: Uint8Array[] = []
  const errors: { kind: number; skipped: number }[] = []
  const sink: FramingSink = {
    onReceived: () => {},
    onRecord: (b, start, length) => frames.push(b.slice(start, start + length)),
    onFramingError: (kind, _kept, skipped) => errors.push({ kind, skipped }),
    onBatchEnd: () => {}
  }
  const decoder = framing.createDecoder(sink, maxFrame)
  decoder.push(stream)
  decoder.reset()
  return { frames, errors }
}

/** A frame of `length` bytes, every one of them END or ESC: SLIP doubles it. */
const allEscaped = (length: number) => Uint8Array.from({ length }, (_, i) => (i % 2 ? SLIP_ESC : SLIP_END))

describe('the demo transmitter in another framing', () => {
  it("puts QEMU's 4-byte big-endian length before each frame", () => {
    const { tx, clock, stream } = transmitter(qemu, 0)
    tx.sendFrame(Uint8Array.of(1, 2, 3))
    tx.sendFrame(new Uint8Array(300))
    clock.advance(0)
    expect([...stream().subarray(0, 7)]).toEqual([0, 0, 0, 3, 1, 2, 3])
    expect([...stream().subarray(7, 11)]).toEqual([0, 0, 1, 44])
    expect(stream().length).toBe(7 + 304)
    expect(tx.counters).toMatchObject({ frames: 2, bytes: 7 + 304 })
  })

  it('SLIP-encodes each frame: END, END and ESC escaped, END; the engine decodes it back', () => {
    const { tx, clock, stream } = transmitter(slip, 0)
    const frame = deviceUdpFrame(Uint8Array.of(SLIP_END, 1, SLIP_ESC, 2, SLIP_ESC_END, SLIP_END))
    tx.sendFrame(frame)
    tx.sendFrame(frame)
    clock.advance(0)
    const one = stream().subarray(0, stream().length / 2)
    expect(one[0]).toBe(SLIP_END)
    expect(one.at(-1)).toBe(SLIP_END)
    expect([...one.subarray(one.length - 10, one.length - 1)]).toEqual([SLIP_ESC, SLIP_ESC_END, 1, SLIP_ESC, SLIP_ESC_ESC, 2, SLIP_ESC_END, SLIP_ESC, SLIP_ESC_END])
    const escapes = frame.filter((byte) => byte === SLIP_END || byte === SLIP_ESC).length // 192.168.x.x holds ENDs too
    expect(one.length).toBe(frame.length + 2 + escapes)
    expect(one.indexOf(SLIP_END, 1)).toBe(one.length - 1)
    const { frames, errors } = decode(slip, stream())
    expect(errors).toEqual([])
    expect(frames).toEqual([frame, frame])
    expect(tx.counters.bytes).toBe(stream().length)
  })

  it('paces SLIP in wire bytes: escapes take line time', () => {
    const { tx, clock, stream } = transmitter(slip, 115_200)
    for (let i = 0; i < 10; i++) tx.sendFrame(allEscaped(700)) // 1402 bytes each on the wire
    expect(tx.counters.bytes).toBe(14_020)
    clock.advance(1000)
    expect(Math.abs(stream().length - 11_520)).toBeLessThanOrEqual(1)
    clock.advance(250)
    expect(stream().length).toBe(14_020)
  })

  it('bounds its queue in wire bytes: frames that escape to double fit half as often', () => {
    const plain = transmitter(slip, 115_200).tx
    let accepted = 0
    for (let i = 0; i < 20; i++) if (plain.sendFrame(new Uint8Array(998))) accepted++
    expect(accepted).toBe(16) // 16 × 1000 bytes fit in 16 384
    const escaped = transmitter(slip, 115_200).tx
    accepted = 0
    for (let i = 0; i < 20; i++) if (escaped.sendFrame(allEscaped(998))) accepted++
    expect(accepted).toBe(8) // 8 × 1998
    expect(escaped.counters.dropped).toBe(12)
    expect(slipEncodedMax(998)).toBe(1998)
  })

  it('counts what goes unheard in wire bytes', () => {
    const { tx } = transmitter(slip, 0)
    tx.setConnected(false)
    tx.sendFrame(allEscaped(10))
    expect(tx.counters.unheard).toBe(22)
  })
})

function receiver(framing: Framing) {
  const frames: Uint8Array[] = []
  const rx = new FramingReceiver(framing, framing.limits.defaultMaxFrame, (f) => frames.push(Uint8Array.from(f)))
  return { rx, frames }
}

const record4 = (frame: Uint8Array) => concat([Uint8Array.of(0, 0, frame.length >> 8, frame.length & 0xff), frame])
const slipped = (frame: Uint8Array) => {
  const out = new Uint8Array(slipEncodedMax(frame.length))
  return out.subarray(0, encodeSlip(frame, 0, frame.length, out, 0))
}

describe('the demo receiver in another framing', () => {
  it('qemu: takes records in any chunking, counts junk, and resyncs on the next plausible record', () => {
    const { rx, frames } = receiver(qemu)
    const a = deviceUdpFrame(new Uint8Array(100))
    const b = deviceUdpFrame(new Uint8Array(7), 2)
    const junk = new Uint8Array(10).fill(0xff)
    const stream = concat([record4(a), junk, record4(b), record4(a)])
    for (let i = 0; i < stream.length; i += 3) rx.receive(stream.subarray(i, i + 3))
    expect(frames).toEqual([a, b, a])
    expect(rx.counters).toMatchObject({ frames: 3, bytes: 3 * 4 + 2 * a.length + b.length, framingErrors: 1, skippedBytes: 10 })
  })

  it('qemu: a record cut by a disconnect is counted, and the next connection starts fresh', () => {
    const { rx, frames } = receiver(qemu)
    const a = deviceUdpFrame(new Uint8Array(50))
    rx.receive(record4(a).subarray(0, 20))
    rx.reset()
    rx.receive(record4(a))
    expect(frames).toEqual([a])
    expect(rx.counters).toMatchObject({ framingErrors: 1, skippedBytes: 20 })
  })

  it('slip: a bad slot is one error, the next END resyncs, and tunslip6 text is counted, never taken', () => {
    const { rx, frames } = receiver(slip)
    const a = deviceUdpFrame(Uint8Array.of(SLIP_END, SLIP_ESC, 3))
    const text = concat([Uint8Array.of(SLIP_END), new TextEncoder().encode('\rdebug line'), Uint8Array.of(SLIP_END)])
    const badEscape = Uint8Array.of(SLIP_END, 1, 2, SLIP_ESC, 7, 8, SLIP_END)
    const stream = concat([slipped(a), badEscape, text, slipped(a)])
    for (let i = 0; i < stream.length; i += 5) rx.receive(stream.subarray(i, i + 5))
    expect(frames).toEqual([a, a])
    expect(rx.counters).toMatchObject({ frames: 2, framingErrors: 1, skippedBytes: badEscape.length, textFrames: 1 })
  })

  it('slip ip: takes bare IPv4 packets and refuses an Ethernet frame', () => {
    const { rx, frames } = receiver(slipIp)
    const packet = ipv4(HOST_IP, DEVICE_IP, 17, new Uint8Array(30))
    rx.receive(concat([slipped(packet), slipped(ethernet(DEVICE_MAC, GATEWAY_MAC, 0x0800, packet)), slipped(packet)]))
    expect(frames).toEqual([packet, packet])
    expect(rx.counters.framingErrors).toBe(1)
  })
})

describe('the demo faults in another framing', () => {
  it('each is the error it is named for, and the bytes it put on the wire are skipped', () => {
    for (const framing of [qemu, slip, slipIp]) {
      const good = framing.payload === 'ip' ? ipv4(DEVICE_IP, HOST_IP, 17, new Uint8Array(30)) : deviceUdpFrame(new Uint8Array(30))
      const out = new Uint8Array(2000)
      const wrap = (frame: Uint8Array) =>
        framing.encoder ? out.slice(0, framing.encoder.encode(frame, 0, frame.length, out, 0)) : concat([(framing.header.write(out, 0, frame.length), out.slice(0, framing.header.bytes)), frame])
      const faults = [junkBytes(framing), zeroLengthRecord(framing), oversizeRecord(DEVICE_MAC, GATEWAY_MAC, framing)]
      const { frames, errors } = decode(framing, concat(faults.flatMap((fault) => [fault, wrap(good)])))
      expect(frames, framing.title).toHaveLength(3)
      const slipFraming = framing.name === 'slip'
      expect(errors.map((e) => e.kind), framing.title).toEqual([FramingError.implausible, slipFraming ? FramingError.slipEscape : FramingError.zeroLength, FramingError.tooLong])
      expect(errors.map((e) => e.skipped), framing.title).toEqual(faults.map((f) => f.length))
    }
  })
})

describe('the demo stack with a bare-IP link', () => {
  it('answers a ping with a bare IPv4 packet, and sends no Ethernet header', () => {
    const sent: Uint8Array[] = []
    const stack = new DeviceStack({
      mac: DEVICE_MAC,
      ip: 0xc0a86402,
      gatewayMac: GATEWAY_MAC,
      maxFrame: 1500,
      linkLayer: 'ip',
      clock: new ManualClock(),
      link: { sendFrame: (f) => (sent.push(f), true), canSend: () => true }
    })
    stack.receive(ipv4(HOST_IP, DEVICE_IP, 1, icmpEcho(8, 7, 1, new Uint8Array(1472))))
    expect(stack.counters.echoReplies).toBe(1)
    expect(sent).toHaveLength(1)
    expect(sent[0]![0]).toBe(0x45)
    expect(sent[0]!.length).toBe(1500)
    expect([...sent[0]!.subarray(16, 20)]).toEqual([...HOST_IP])
    // An Ethernet frame on a bare-IP link is no IP packet.
    stack.receive(ethernet(DEVICE_MAC, GATEWAY_MAC, 0x0800, ipv4(HOST_IP, DEVICE_IP, 1, icmpEcho(8, 7, 2, new Uint8Array(8)))))
    expect(stack.counters).toMatchObject({ echoReplies: 1, ignored: 1 })
    stack.close()
  })
})

describe('DemoDevice with a framing', () => {
  it('speaks SLIP with bare IP on its socket, with no quiet first second, and refuses DHCP there', async () => {
    expect(() => new DemoDevice({ socketPath: '/nonexistent/x.sock', baud: 0, ip: null, gateway: '192.168.100.1', framing: slipIp, onFatal: () => {} })).toThrow(/static address/)
    const work = mkdtempSync(join(tmpdir(), 'tunscope-demo-framing-'))
    const device = new DemoDevice({ socketPath: join(work, 'uart.sock'), baud: 0, ip: '192.168.100.2', gateway: '192.168.100.1', framing: slipIp, onFatal: () => {} })
    try {
      await device.start()
      const client = net.connect(device.socketPath)
      await new Promise((resolve) => client.once('connect', resolve))
      const received: Buffer[] = []
      client.on('data', (d: Buffer) => received.push(d))
      client.write(slipped(ipv4(HOST_IP, DEVICE_IP, 1, icmpEcho(8, 7, 1, Uint8Array.of(SLIP_END, SLIP_ESC)))))
      await new Promise((resolve) => setTimeout(resolve, 200))
      const { frames, errors } = decode(slipIp, concat(received))
      expect(errors).toEqual([])
      // The reply, and maybe the first telemetry datagram.
      const reply = frames.find((f) => f[9] === 1)!
      expect([...reply.subarray(16, 20)]).toEqual([...HOST_IP])
      expect(device.stats()).toMatchObject({ framing: 'slip/ip', uart: { framesIn: 1, badLengths: 0 } })
      client.destroy()
    } finally {
      await device.stop()
      rmSync(work, { recursive: true, force: true })
    }
  })

  it('takes the framing’s device MAC unless given one', () => {
    const options = { socketPath: '/nonexistent/x.sock', baud: 0, ip: '192.168.100.2', gateway: '192.168.100.1', onFatal: () => {} }
    expect(new DemoDevice(options).macText).toBe('02:00:00:00:00:02')
    expect(new DemoDevice({ ...options, framing: qemu }).macText).toBe(qemu.defaultDeviceMac)
    expect(new DemoDevice({ ...options, framing: slip, mac: '02:aa:00:00:00:09' }).macText).toBe('02:aa:00:00:00:09')
  })
})
