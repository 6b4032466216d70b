// The one place a framing is chosen: by name (flags, settings) or by the code
// the capture and the UI's frame batches carry for each record.
import { esp32Framing } from './esp32.js'
import type { Framing, FramingName } from './framing.js'
import { qemuFraming } from './qemu.js'

/** Each framing's code is its position here: new framings go at the end. */
const BY_CODE: readonly Framing[] = [esp32Framing, qemuFraming]

/** Today's wire, which the firmware speaks: what a bridge uses unless told otherwise. */
export const DEFAULT_FRAMING: FramingName = 'esp32'

export const FRAMING_NAMES: readonly FramingName[] = BY_CODE.map((framing) => framing.name)

export const framingFor = (name: FramingName): Framing => BY_CODE[FRAMING_NAMES.indexOf(name)]!

export function isFramingName(text: string): text is FramingName {
  return (FRAMING_NAMES as readonly string[]).includes(text)
}

/** The number a record carries to say which framing it came in. */
export const framingCode = (framing: Framing): number => BY_CODE.indexOf(framing)

/** The framing a record's code names; an unknown code (bytes from elsewhere) reads as the default framing. */
export const framingOfCode = (code: number): Framing => BY_CODE[code] ?? framingFor(DEFAULT_FRAMING)
