// A device as the person names it on the command line: `[NAME=][FRAMING:]ADDRESS[@BAUD]`, where
// ADDRESS is a socket path, a TCP HOST:PORT or a serial port, FRAMING one the bridge speaks (else the
// --framing given for all), BAUD its line's speed (a serial port's, and what its rates are measured
// against; else --baud) and NAME what the app and the capture call it (else the address's own name:
// the socket's file name without its extension, the serial port's, or HOST_PORT).
import { basename, extname } from 'node:path'

import { UserError } from './errors.js'
import { isFramingName } from './framing/index.js'
import type { FramingName } from './framing/framing.js'

export type DeviceAddressKind = 'socket' | 'tcp' | 'serial'

export interface DeviceSpec {
  kind: DeviceAddressKind
  /** The name given, or null: made from the address. */
  name: string | null
  /** The framing given, or null: --framing's. */
  framing: FramingName | null
  address: string
  /** The baud given (digits as written), or null: --baud's. */
  baud: string | null
  /** As the person wrote it. */
  text: string
}

/** Letters, digits, '.', '_' and '-', up to 32: a name that reads as one word in a filter (dev == name) and a capture. */
export const DEVICE_NAME = /^[A-Za-z0-9._-]{1,32}$/
/** Many devices are a small network; a flood of them is a typo or a script gone wrong. */
export const MAX_DEVICES = 32

export function parseDeviceSpec(kind: DeviceAddressKind, text: string): DeviceSpec {
  let rest = text
  let name: string | null = null
  const equals = rest.indexOf('=')
  if (equals > 0 && DEVICE_NAME.test(rest.slice(0, equals))) {
    name = rest.slice(0, equals)
    rest = rest.slice(equals + 1)
  }
  let framing: FramingName | null = null
  const colon = rest.indexOf(':')
  const prefix = rest.slice(0, colon)
  if (colon > 0 && isFramingName(prefix)) {
    framing = prefix
    rest = rest.slice(colon + 1)
  }
  return { kind, name, framing, ...splitBaud(rest), text }
}

/** An address with its baud after an '@' (digits only: a path may hold an '@' of its own) apart. */
export function splitBaud(text: string): { address: string; baud: string | null } {
  const at = /@(\d{1,12})$/.exec(text)
  return at ? { address: text.slice(0, at.index), baud: at[1]! } : { address: text, baud: null }
}

/** The name a device gets from its address: the socket's or serial port's file name (a socket's without its extension), or HOST_PORT. */
function nameOf(spec: DeviceSpec): string {
  const file = basename(spec.address)
  const stem = spec.kind === 'tcp' ? spec.address : spec.kind === 'socket' && extname(file) !== file ? file.slice(0, file.length - extname(file).length) : file
  return (stem.replace(/[^A-Za-z0-9._-]/g, '_') || 'device').slice(0, 32)
}

/**
 * Each device's name: the one given, or its address's; a name given twice is refused, and a made
 * name another device already has gets a number (uart, uart-2).
 */
export function deviceNames(specs: readonly DeviceSpec[], what: (kind: DeviceAddressKind) => string): string[] {
  if (specs.length > MAX_DEVICES) throw new UserError(`${specs.length} devices given; one bridge takes at most ${MAX_DEVICES}.`)
  const given = new Set<string>()
  for (const spec of specs) {
    if (spec.name === null) continue
    if (given.has(spec.name)) throw new UserError(`${what(spec.kind)}: the name "${spec.name}" is given to two devices; give each its own.`)
    given.add(spec.name)
  }
  const taken = new Set(given)
  return specs.map((spec) => {
    if (spec.name !== null) return spec.name
    const base = nameOf(spec)
    let name = base
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`
    taken.add(name)
    return name
  })
}



