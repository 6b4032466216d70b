// Per-direction rates over 1 s and 10 s windows, from periodic samples of the
// counters (no work on the per-frame path).
//
// From the device, bytes are counted as they come off the UART, not when a
// record is complete: a 1502-byte record is 130 ms of line at 115 200 baud,
// and counted whole at its last byte, a 1 s window held 8 or 9 of them where
// the line had carried 7.7 — 104 to 112 % of a line that cannot carry more
// than 100 %. Junk is on the line too, so it counts. And each read brings
// what the line carried since the read before, so a window's edges are put at
// reads, not at the timer's ticks: a tick just before a read would otherwise
// leave that read's line time outside one edge and inside the other.
import type { Counters } from './counters.js'

export interface DirectionRate {
  /** Line bytes per second: from the device every byte read (prefixes and junk included); to the device what the kernel took. */
  bytesPerSecond: number
  framesPerSecond: number
  /** bytes/s ÷ (baud / 10): 8N1 sends ten bits per byte. */
  utilization: number
}

export interface Rates {
  window1s: { fromDevice: DirectionRate; toDevice: DirectionRate }
  window10s: { fromDevice: DirectionRate; toDevice: DirectionRate }
}

interface Sample {
  time: number
  /**
   * When the device count was last exact: the read that brought its newest bytes
   * if any came since the sample before (on a busy line, what the line carried
   * after that read is still on its way), else the sample's own time.
   */
  fromTime: number
  fromBytes: number
  fromFrames: number
  toBytes: number
  toFrames: number
}

const SAMPLE_MS = 250
const KEEP = 10_000 / SAMPLE_MS + 2

export class RateMeter {
  private readonly samples: Sample[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly counters: Counters,
    private readonly baud: number,
    private readonly now: () => number = () => performance.now()
  ) {}

  start(): void {
    this.sample()
    this.timer = setInterval(() => this.sample(), SAMPLE_MS)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  sample(): void {
    this.samples.push(this.current())
    if (this.samples.length > KEEP) this.samples.shift()
  }

  rates(): Rates {
    const end = this.current()
    return { window1s: this.over(end, 1000), window10s: this.over(end, 10_000) }
  }

  private current(): Sample {
    const c = this.counters
    const time = this.now()
    const previous = this.samples.at(-1)
    const fromTime = previous && c.lineBytesFromDevice !== previous.fromBytes ? Math.min(time, c.lineFromDeviceAt) : time
    return { time, fromTime, fromBytes: c.lineBytesFromDevice, fromFrames: c.fromDevice.frames, toBytes: c.toDevice.bytes, toFrames: c.toDevice.frames }
  }

  private over(end: Sample, windowMs: number): Rates['window1s'] {
    // The newest sample at least windowMs old, or the oldest there is.
    let base = this.samples[0]
    for (const s of this.samples) if (end.time - s.time >= windowMs) base = s
    const rate = (milliseconds: number, bytes: number, frames: number): DirectionRate => {
      const seconds = milliseconds / 1000
      const bytesPerSecond = seconds > 0 ? bytes / seconds : 0
      return {
        bytesPerSecond,
        framesPerSecond: seconds > 0 ? frames / seconds : 0,
        utilization: this.baud > 0 ? bytesPerSecond / (this.baud / 10) : 0
      }
    }
    if (!base) return { fromDevice: rate(0, 0, 0), toDevice: rate(0, 0, 0) }
    return {
      fromDevice: rate(end.fromTime - base.fromTime, end.fromBytes - base.fromBytes, end.fromFrames - base.fromFrames),
      toDevice: rate(end.time - base.time, end.toBytes - base.toBytes, end.toFrames - base.toFrames)
    }
  }
}

/** Several lines' rates together, their utilization against all those lines' capacity (`baud`, their bauds' sum). */
export function sumRates(parts: readonly Rates[], baud: number): Rates {
  const sum = (window: 'window1s' | 'window10s', direction: 'fromDevice' | 'toDevice'): DirectionRate => {
    let bytesPerSecond = 0
    let framesPerSecond = 0
    for (const part of parts) {
      bytesPerSecond += part[window][direction].bytesPerSecond
      framesPerSecond += part[window][direction].framesPerSecond
    }
    return { bytesPerSecond, framesPerSecond, utilization: baud > 0 ? bytesPerSecond / (baud / 10) : 0 }
  }
  return {
    window1s: { fromDevice: sum('window1s', 'fromDevice'), toDevice: sum('window1s', 'toDevice') },
    window10s: { fromDevice: sum('window10s', 'fromDevice'), toDevice: sum('window10s', 'toDevice') }
  }
}
