// The rate meter against a paced line: the demo device's own UART transmitter
// at 115 200 baud, on a manual clock, feeding the bridge's decoder and counters
// as the transport would. The line carries 11 520 bytes/s and no more, so no
// 1 s window may show more than 100 %, whatever the phase of the meter's
// samples and of the once-a-second reading against the 1502-byte records.
import { describe, expect, it } from 'vitest'

import { UartTransmitter } from '../../src/demo/uart/uartTransmitter.js'
import { Counters } from '../../src/engine/counters.js'
import type { DeviceWriter } from '../../src/engine/deviceWriter.js'
import { FromDevicePath } from '../../src/engine/fromDevice.js'
import { esp32Framing } from '../../src/engine/framing/esp32.js'
import { RateMeter } from '../../src/engine/rates.js'
import { ManualClock } from '../helpers/manualClock.js'
import { DEVICE_IP, DEVICE_MAC, ethernet, GATEWAY_MAC, HOST_IP, ipv4, udp } from '../helpers/frames.js'

const BAUD = 115_200
const SAMPLE_MS = 250

/** A saturated paced line for `seconds`; the 1 s utilization read once a second, `phaseMs` after the meter's samples. */
function pacedLine(phaseMs: number, seconds: number, junkEvery = 0) {
  const clock = new ManualClock()
  const counters = new Counters()
  const fromDevice = new FromDevicePath({
    counters,
    capture: null,
    dhcp: null,
    framing: esp32Framing,
    tap: false,
    gatewayMac: GATEWAY_MAC,
    deviceIp: DEVICE_IP,
    hostIp: HOST_IP,
    prefixLength: 24,
    capturePort: 0,
    toOtherDevices: null,
    toOtherDevicesL2: null,
    addressTaken: () => false,
    probesForMac: true,
    slipPrefix: null,
    writer: {} as DeviceWriter, // only proxy ARP writes, and no ARP is sent here
    onDeviceChanged: () => {}
  })
  const decoder = esp32Framing.createDecoder(fromDevice, 1500)
  fromDevice.decoder = decoder
  const meter = new RateMeter(counters, BAUD, () => clock.now())
  // 1500-byte frames, 1502 bytes on the wire, as a bulk TCP download sends.
  const frame = ethernet(GATEWAY_MAC, DEVICE_MAC, 0x0800, ipv4(DEVICE_IP, HOST_IP, 17, udp(80, 40000, new Uint8Array(1500 - 14 - 28))))
  const uart = new UartTransmitter({
    baud: BAUD,
    clock,
    write: (bytes) => {
      fromDevice.batchTime = clock.now() // as the bridge's receiver does for every read
      decoder.push(bytes)
      return true
    },
    onReady: () => fill()
  })
  let sent = 0
  let sending = true
  const fill = (): void => {
    while (sending && uart.canSend()) {
      if (junkEvery > 0 && ++sent % junkEvery === 0) uart.sendRaw(new Uint8Array(100).fill(0xff))
      uart.sendFrame(frame)
    }
  }
  uart.setConnected(true)
  fill()
  meter.sample()
  const every = (ms: number, first: number, run: () => void): void => {
    clock.after(first, () => {
      run()
      every(ms, ms, run)
    })
  }
  every(SAMPLE_MS, SAMPLE_MS, () => meter.sample())
  every(50, 50, fill)
  const readings: number[] = []
  every(1000, 1000 + phaseMs, () => readings.push(meter.rates().window1s.fromDevice.utilization))
  clock.advance(seconds * 1000)
  return { readings, counters, clock, meter, stopSending: () => (sending = false) }
}

describe('RateMeter on a paced 115 200-baud line', () => {
  it.each([0, 1, 13, 37, 61, 90, 124, 131, 200, 249])('never shows more than the line carries (reading %i ms after a sample)', (phase) => {
    const { readings, counters } = pacedLine(phase, 30)
    expect(counters.fromDevice.frames).toBeGreaterThan(200)
    const worst = Math.max(...readings.slice(2))
    expect(worst).toBeLessThanOrEqual(1 + 1 / 11_520) // a byte of credit carried over between ticks
    // and it is full: the meter does not under-read either.
    expect(Math.min(...readings.slice(2))).toBeGreaterThan(0.98)
  })

  it('falls to nothing once the device stops sending, and never overshoots on the way', () => {
    const { readings, clock, meter, stopSending } = pacedLine(90, 10)
    stopSending() // the 4 KiB queued drain at the line rate, then nothing
    const after: number[] = []
    for (let i = 0; i < 12; i++) {
      clock.advance(250)
      after.push(meter.rates().window1s.fromDevice.utilization)
    }
    expect(Math.max(...readings.slice(2), ...after)).toBeLessThanOrEqual(1 + 1 / 11_520)
    expect(after.at(-1)).toBe(0)
  })

  it('counts junk on the line as line time', () => {
    const { readings, counters } = pacedLine(37, 20, 3)
    expect(counters.bytesSkipped).toBeGreaterThan(0)
    expect(Math.max(...readings.slice(2))).toBeLessThanOrEqual(1 + 1 / 11_520)
    expect(Math.min(...readings.slice(2))).toBeGreaterThan(0.98)
  })
})
