// The device's receive side for the framings other than the ESP32 firmware's
// (QEMU's stream netdev, SLIP): the engine's own decoder cuts the stream, and
// resyncs after junk by the framing's rules (a length prefix hunts for the
// next plausible record, SLIP starts again at the next END), as a QEMU NIC or
// Zephyr's SLIP driver does. There is no flush and no deaf time: those are the
// firmware's. Records go to the stack; bad ones and tunslip6 text are counted.
import type { FrameDecoder, Framing, FramingSink } from '../../engine/framing/framing.js'

export interface FramingReceiverCounters {
  frames: number
  /** Wire bytes of the frames taken. */
  bytes: number
  /** Desync episodes (bad records) the decoder skipped. */
  framingErrors: number
  /** Bytes those episodes skipped. */
  skippedBytes: number
  /** tunslip6 control messages and debug lines (SLIP), taken by no one. */
  textFrames: number
}

export class FramingReceiver {
  readonly counters: FramingReceiverCounters = { frames: 0, bytes: 0, framingErrors: 0, skippedBytes: 0, textFrames: 0 }
  private readonly decoder: FrameDecoder

  constructor(framing: Pick<Framing, 'createDecoder'>, maxFrame: number, onFrame: (frame: Uint8Array) => void) {
    const counters = this.counters
    const sink: FramingSink = {
      onReceived: () => {},
      onRecord(buffer, start, length, wireLength) {
        counters.frames++
        counters.bytes += wireLength
        onFrame(buffer.subarray(start, start + length))
      },
      onFramingError(_kind, _kept, skipped) {
        counters.framingErrors++
        counters.skippedBytes += skipped
      },
      onText() {
        counters.textFrames++
      },
      onBatchEnd: () => {}
    }
    this.decoder = framing.createDecoder(sink, maxFrame)
  }

  /** Feeds bytes as the link delivers them, in any chunking. */
  receive(bytes: Uint8Array): void {
    this.decoder.push(bytes)
  }

  /** The peer went away: a record it cut is counted, and the next one starts fresh (QEMU resets its stream per connection). */
  reset(): void {
    this.decoder.reset()
  }
}
