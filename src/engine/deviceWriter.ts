// Every byte the bridge sends towards the device goes through here, whatever
// made it: TUN traffic, proxy ARP replies, anything the bridge answers itself.
// One bound on what may wait unsent means a device that stops reading costs a
// fixed amount of memory; what does not fit is dropped and counted. Frames
// count as sent once the kernel has taken them, not when they were queued.
// A source that can wait instead of losing frames (passt's socket) asks to be
// told when there is room again.
import type { Counters } from './counters.js'
import type { Transport } from './transport/index.js'

/** Beyond this much unsent data the device is not keeping up: drop rather than queue. */
export const MAX_QUEUED_BYTES = 256 * 1024

/** A waiting source is told of room once the unsent data is down to this. */
const ROOM_AGAIN_BYTES = MAX_QUEUED_BYTES / 8

export class DeviceWriter {
  private onRoom: (() => void) | null = null

  constructor(
    private readonly transport: Transport,
    private readonly counters: Counters
  ) {}

  /** Bytes written but not yet taken by the kernel. */
  get queuedBytes(): number {
    return this.transport.queuedBytes
  }

  /** Calls `callback` once (replacing any before it) when the unsent data is down to an eighth of the bound. */
  whenRoom(callback: () => void): void {
    this.onRoom = callback
    this.checkRoom()
  }

  /** Whether `frames` records may be written now; if not, they are counted as dropped (no link or back-pressure), or as before the device. */
  admit(frames: number): boolean {
    const link = this.transport.state
    if (link.status !== 'connected') {
      if (link.connections === 0) this.counters.beforeDevice += frames
      else this.counters.drops.noLink += frames
      return false
    }
    if (this.transport.queuedBytes > MAX_QUEUED_BYTES) {
      this.counters.drops.backPressure += frames
      return false
    }
    return true
  }

  /**
   * Writes admitted `records` (`frames` whole wire records). `onDone` runs once the
   * write is over, delivered or not; `records` must stay untouched until then.
   */
  write(records: Uint8Array, frames: number, onDone?: (delivered: boolean) => void): void {
    const accepted = this.transport.write(records, (error) => {
      this.settle(records.length, frames, !error)
      onDone?.(!error)
    })
    if (!accepted) {
      this.settle(records.length, frames, false)
      onDone?.(false)
    }
  }

  /** A write the link lost (it went away with the data unsent) counts as a no-link drop. */
  private settle(bytes: number, frames: number, delivered: boolean): void {
    if (delivered) {
      this.counters.toDevice.frames += frames
      this.counters.toDevice.bytes += bytes
    } else {
      this.counters.drops.noLink += frames
    }
    this.checkRoom()
  }

  private checkRoom(): void {
    const onRoom = this.onRoom
    if (!onRoom || this.transport.queuedBytes > ROOM_AGAIN_BYTES) return
    this.onRoom = null
    onRoom()
  }
}
