// Per-direction rates over 1 s and 10 s windows, from periodic samples of the
// counters (no work on the per-frame path).
import type { Counters } from './counters.js'

export interface DirectionRate {
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
    const c = this.counters
    this.samples.push({ time: this.now(), fromBytes: c.fromDevice.bytes, fromFrames: c.fromDevice.frames, toBytes: c.toDevice.bytes, toFrames: c.toDevice.frames })
    if (this.samples.length > KEEP) this.samples.shift()
  }

  rates(): Rates {
    return { window1s: this.over(1000), window10s: this.over(10_000) }
  }

  private over(windowMs: number): Rates['window1s'] {
    const c = this.counters
    const now = this.now()
    // The newest sample at least windowMs old, or the oldest there is.
    let base = this.samples[0]
    for (const s of this.samples) if (now - s.time >= windowMs) base = s
    const seconds = base ? (now - base.time) / 1000 : 0
    const rate = (bytes: number, frames: number): DirectionRate => {
      const bytesPerSecond = seconds > 0 ? bytes / seconds : 0
      return {
        bytesPerSecond,
        framesPerSecond: seconds > 0 ? frames / seconds : 0,
        utilization: this.baud > 0 ? bytesPerSecond / (this.baud / 10) : 0
      }
    }
    return {
      fromDevice: rate(c.fromDevice.bytes - (base?.fromBytes ?? 0), c.fromDevice.frames - (base?.fromFrames ?? 0)),
      toDevice: rate(c.toDevice.bytes - (base?.toBytes ?? 0), c.toDevice.frames - (base?.toFrames ?? 0))
    }
  }
}
