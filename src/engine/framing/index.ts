// The one place a framing is chosen by name.
import { esp32Framing } from './esp32.js'
import type { Framing, FramingName } from './framing.js'
import { qemuFraming } from './qemu.js'

const FRAMINGS: Record<FramingName, Framing> = { esp32: esp32Framing, qemu: qemuFraming }

/** Today's wire, which the firmware speaks: what a bridge uses unless told otherwise. */
export const DEFAULT_FRAMING: FramingName = 'esp32'

export const FRAMING_NAMES = Object.keys(FRAMINGS) as FramingName[]

export const framingFor = (name: FramingName): Framing => FRAMINGS[name]

export function isFramingName(text: string): text is FramingName {
  return Object.hasOwn(FRAMINGS, text)
}
