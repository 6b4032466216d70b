// The one place a framing is chosen: by name and payload (flags, settings) or
// by the code the capture and the UI's frame batches carry for each record.
import { esp32Framing } from './esp32.js'
import type { FramePayload, Framing, FramingName } from './framing.js'
import { qemuFraming } from './qemu.js'
import { slipEthernetFraming, slipIpFraming } from './slip.js'

/** Each framing's code is its position here: new framings go at the end. */
const BY_CODE: readonly Framing[] = [esp32Framing, qemuFraming, slipEthernetFraming, slipIpFraming]

/** Today's wire, which the firmware speaks: what a bridge uses unless told otherwise. */
export const DEFAULT_FRAMING: FramingName = 'esp32'

export const FRAMING_NAMES: readonly FramingName[] = [...new Set(BY_CODE.map((framing) => framing.name))]

/** The payloads each framing can carry, the first being its default. */
export const payloadsOf = (name: FramingName): FramePayload[] => BY_CODE.filter((framing) => framing.name === name).map((framing) => framing.payload)

/** `name` carrying `payload`; a payload the framing cannot carry gives its default one. */
export function framingFor(name: FramingName, payload?: FramePayload): Framing {
  const named = BY_CODE.filter((framing) => framing.name === name)
  return named.find((framing) => framing.payload === payload) ?? named[0]!
}

export function isFramingName(text: string): text is FramingName {
  return (FRAMING_NAMES as readonly string[]).includes(text)
}

export function isFramePayload(text: string): text is FramePayload {
  return text === 'ethernet' || text === 'ip'
}

/** The number a record carries to say which framing it came in. */
export const framingCode = (framing: Framing): number => BY_CODE.indexOf(framing)

/** The framing a record's code names; an unknown code (bytes from elsewhere) reads as the default framing. */
export const framingOfCode = (code: number): Framing => BY_CODE[code] ?? framingFor(DEFAULT_FRAMING)
