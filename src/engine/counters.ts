// Every number the bridge keeps. Plain fields, bumped on the hot path.

/** Framing error kinds; the numeric value is what the capture ring stores (0 = none). */
export const FramingError = {
  none: 0,
  zeroLength: 1,
  tooLong: 2,
  tooShort: 3,
  implausible: 4,
  cutByDisconnect: 5,
  slipEscape: 6
} as const
export type FramingErrorKind = Exclude<keyof typeof FramingError, 'none'>
export type FramingErrorCode = (typeof FramingError)[keyof typeof FramingError]

export const FRAMING_ERROR_KINDS: readonly FramingErrorKind[] = ['zeroLength', 'tooLong', 'tooShort', 'implausible', 'cutByDisconnect', 'slipEscape']

export const FRAMING_ERROR_TEXT: Record<FramingErrorKind, string> = {
  zeroLength: 'zero length',
  tooLong: 'length over the device limit',
  tooShort: 'shorter than an Ethernet or IP header',
  implausible: 'implausible content',
  cutByDisconnect: 'frame cut by disconnect',
  slipEscape: 'SLIP escape error'
}

/**
 * Codes the capture ring stores beside the framing errors for text a framing carries
 * (tunslip6's control messages and debug lines): records, not errors.
 */
export const TextRecord = { control: 0x40, debug: 0x41 } as const

export const isTextRecord = (code: number): boolean => code === TextRecord.control || code === TextRecord.debug

export function framingErrorKind(code: number): FramingErrorKind | null {
  return FRAMING_ERROR_KINDS[code - 1] ?? null
}

export type DropCause = 'noLink' | 'tooBigForDevice' | 'tunWriteError' | 'backPressure' | 'otherEtherType' | 'notIp' | 'noDevice' | 'captureOverrun'

/** What the UI, the final report and the status line call each drop cause. */
export const DROP_TEXT: Record<DropCause, string> = {
  noLink: 'no UART link',
  tooBigForDevice: 'too big for the device',
  tunWriteError: 'refused by the host side',
  backPressure: 'UART back-pressure',
  otherEtherType: 'other EtherType',
  notIp: 'not IP',
  noDevice: 'no device has that address',
  captureOverrun: 'capture overrun'
}

export const DROP_CAUSES = Object.keys(DROP_TEXT) as DropCause[]

/** What the UI and the final report call `beforeDevice`. */
export const BEFORE_DEVICE_TEXT = 'before the device connected'

export interface DirectionCounters {
  frames: number
  bytes: number
}

export class Counters {
  /** Device → host: records accepted from the UART stream. */
  readonly fromDevice: DirectionCounters = { frames: 0, bytes: 0 }
  /** Host → device: records written to the UART stream. */
  readonly toDevice: DirectionCounters = { frames: 0, bytes: 0 }
  readonly framingErrors: Record<FramingErrorKind, number> = {
    zeroLength: 0, tooLong: 0, tooShort: 0, implausible: 0, cutByDisconnect: 0, slipEscape: 0
  }
  /**
   * Every byte read off the UART — records with their length prefixes, and junk —
   * counted as it arrives, not when a record is complete: what the line carried,
   * which the rates measure the line by.
   */
  lineBytesFromDevice = 0
  /** performance.now() of the read that brought the last of them. */
  lineFromDeviceAt = 0
  /** Bytes thrown away while hunting for the next plausible record. */
  bytesSkipped = 0
  readonly drops: Record<DropCause, number> = {
    noLink: 0, tooBigForDevice: 0, tunWriteError: 0, backPressure: 0, otherEtherType: 0, notIp: 0, noDevice: 0, captureOverrun: 0
  }
  /**
   * Packets for the device before it first connected: nobody to send them to
   * yet. Not a drop: every new TUN sends some (the kernel's IPv6 router
   * solicitation). Once the device has been connected, losing the link drops
   * traffic as noLink.
   */
  beforeDevice = 0
  proxyArpReplies = 0
  /** ARP requests the bridge sent for the device's address, to learn its MAC before it speaks. */
  arpProbes = 0
  reconnects = 0
  /** Text records from the device (tunslip6's control messages and debug lines): shown, never forwarded. */
  textFromDevice = 0

  snapshot(): CountersSnapshot {
    return {
      fromDevice: { ...this.fromDevice },
      toDevice: { ...this.toDevice },
      framingErrors: { ...this.framingErrors },
      bytesSkipped: this.bytesSkipped,
      drops: { ...this.drops },
      beforeDevice: this.beforeDevice,
      proxyArpReplies: this.proxyArpReplies,
      arpProbes: this.arpProbes,
      reconnects: this.reconnects,
      textFromDevice: this.textFromDevice
    }
  }
}

export type CountersSnapshot = {
  fromDevice: DirectionCounters
  toDevice: DirectionCounters
  framingErrors: Record<FramingErrorKind, number>
  bytesSkipped: number
  drops: Record<DropCause, number>
  beforeDevice: number
  proxyArpReplies: number
  arpProbes: number
  reconnects: number
  textFromDevice: number
}

/**
 * The sum of counters of one shape (plain objects of numbers, nested): a bridge's totals over its
 * devices and its host side. `parts` must not be empty.
 */
export function sumCounters<T extends object>(parts: readonly T[]): T {
  const total = structuredClone(parts[0]!) as Record<string, unknown>
  for (const part of parts.slice(1)) addInto(total, part as Record<string, unknown>)
  return total as T
}

function addInto(total: Record<string, unknown>, part: Record<string, unknown>): void {
  for (const key of Object.keys(total)) {
    const value = part[key]
    if (typeof value === 'number') total[key] = (total[key] as number) + value
    else if (value !== null && typeof value === 'object') addInto(total[key] as Record<string, unknown>, value as Record<string, unknown>)
  }
}
