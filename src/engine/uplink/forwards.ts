// Port forwards for user-mode networking (--forward): a host port, on a host address,
// carried by the user-mode engine (passt) to a port of the device.
import { UserError } from '../errors.js'

export type ForwardProtocol = 'tcp' | 'udp'

export interface Forward {
  protocol: ForwardProtocol
  /** The host address the engine listens on: 127.0.0.1 unless the forward names one (0.0.0.0 is every address). */
  bindAddress: string
  hostPort: number
  devicePort: number
}

export const DEFAULT_BIND_ADDRESS = '127.0.0.1'
const ANY_ADDRESS = '0.0.0.0'

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const EXAMPLES = 'write it like tcp:8080:80, udp:5353:53 or tcp:0.0.0.0:8080:80'

/** The user's text, quoted, cut short and with control characters escaped, so a message stays one line. */
function shown(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)
}

function port(text: string, which: 'host' | 'device', what: string, whole: string): number {
  const value = /^\d{1,5}$/.test(text) ? Number(text) : NaN
  if (!(value >= 1 && value <= 65535)) {
    const given = text === '' ? 'is empty' : `"${text.length > 12 ? `${text.slice(0, 9)}...` : text}" is not a port number`
    throw new UserError(`${what} ${shown(whole)}: the ${which} port ${given}; give a whole number from 1 to 65535.`)
  }
  return value
}

/**
 * Parses `tcp:HOSTPORT:DEVICEPORT`, `udp:HOSTPORT:DEVICEPORT` or `PROTOCOL:ADDR:HOSTPORT:DEVICEPORT`
 * (ADDR an IPv4 address of this machine, 0.0.0.0 for all; 127.0.0.1 when left out).
 * Anything else is a UserError of one sentence naming `what`.
 */
export function parseForward(text: string, what = '--forward'): Forward {
  const bad = (why: string): never => {
    throw new UserError(`${what} ${shown(text)} ${why}; ${EXAMPLES}.`)
  }
  if (typeof text !== 'string' || text.trim() === '') bad('is empty')
  if (/\s/.test(text)) bad('contains spaces')
  const fields = text.split(':')
  if (text.includes('[') || text.includes('::') || (fields.length > 4 && /[a-f]/i.test(fields.slice(1, -2).join(':')))) {
    throw new UserError(`${what} ${shown(text)}: IPv6 forwards are not supported yet; bind to an IPv4 address such as 127.0.0.1 or 0.0.0.0.`)
  }
  if (fields.length > 4) bad('has too many fields')
  const name = fields[0]!.toLowerCase()
  if (/^\d+$/.test(fields[0]!)) bad('does not start with its protocol, tcp or udp')
  if (name !== 'tcp' && name !== 'udp') bad(`names protocol "${fields[0]!.slice(0, 12)}", which is neither tcp nor udp`)
  const protocol = name as ForwardProtocol
  if (fields.length < 3) bad('needs a host port and a device port after the protocol')
  let bindAddress = DEFAULT_BIND_ADDRESS
  if (fields.length === 4) {
    const address = fields[1]!
    if (!IPV4.test(address)) {
      if (/^\d{1,5}$/.test(address)) bad('has one field too many')
      throw new UserError(`${what} ${shown(text)}: "${address.slice(0, 40)}" is not an IPv4 address; write it like 127.0.0.1 or 0.0.0.0.`)
    }
    bindAddress = address
  }
  const hostPort = port(fields[fields.length - 2]!, 'host', what, text)
  const devicePort = port(fields[fields.length - 1]!, 'device', what, text)
  return { protocol, bindAddress, hostPort, devicePort }
}

/** The forward as a user would write it (the address only when it is not 127.0.0.1). */
export function formatForward(forward: Forward): string {
  const address = forward.bindAddress === DEFAULT_BIND_ADDRESS ? '' : `${forward.bindAddress}:`
  return `${forward.protocol}:${address}${forward.hostPort}:${forward.devicePort}`
}

/** The one sentence for a forward whose host port the engine could not listen on. */
export function forwardRefused(forward: Forward): UserError {
  const local = forward.bindAddress === DEFAULT_BIND_ADDRESS || forward.bindAddress === ANY_ADDRESS
  const privileged = forward.hostPort < 1024 && process.getuid?.() !== 0
  const why = privileged
    ? 'it is in use, or below 1024 and so reserved for root'
    : local
      ? 'it is already in use'
      : `it is already in use or ${forward.bindAddress} is not an address of this machine`
  return new UserError(
    `${forward.protocol.toUpperCase()} port ${forward.hostPort} on ${forward.bindAddress} cannot be forwarded (--forward ${formatForward(forward)}): ${why}; choose another host port.`
  )
}

/** passt's SPEC for -t/-u: `ADDR/HOSTPORT:DEVICEPORT`. */
export function passtPortSpec(forward: Forward): string {
  return `${forward.bindAddress}/${forward.hostPort}:${forward.devicePort}`
}

/** passt's option and SPEC for one forward, e.g. ['-t', '127.0.0.1/8080:80']. */
export function passtForwardArgs(forward: Forward): [string, string] {
  return [forward.protocol === 'tcp' ? '-t' : '-u', passtPortSpec(forward)]
}

function overlaps(a: Forward, b: Forward): boolean {
  return (
    a.protocol === b.protocol &&
    a.hostPort === b.hostPort &&
    (a.bindAddress === b.bindAddress || a.bindAddress === ANY_ADDRESS || b.bindAddress === ANY_ADDRESS)
  )
}

/**
 * Refuses, in one sentence, two forwards that would take the same host port of the same protocol
 * (the same address, or one of them on 0.0.0.0, which covers every address). Returns the list.
 */
export function checkForwards(list: readonly Forward[], what = '--forward'): readonly Forward[] {
  for (let i = 0; i < list.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = list[j]!, b = list[i]!
      if (!overlaps(a, b)) continue
      const where = a.bindAddress === b.bindAddress ? a.bindAddress : ANY_ADDRESS
      const same = formatForward(a) === formatForward(b)
      throw new UserError(
        same
          ? `${what} ${formatForward(a)} is given twice; give each forward once.`
          : `${what} ${formatForward(a)} and ${what} ${formatForward(b)} both take ${a.protocol.toUpperCase()} host port ${a.hostPort} on ${where}; give each forward its own host port.`
      )
    }
  }
  return list
}
