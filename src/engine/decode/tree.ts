// The details tree: nodes with byte ranges, plus the few node shapes every protocol uses.
import { hex, hexBytes, type ChecksumStatus } from './bytes'

export interface FieldNode {
  label: string          // e.g. 'Header Checksum: 0xb861 [correct]', 'Source Port: 54321'
  start: number          // byte offset in the frame
  length: number         // bytes covered (0 for derived/informational nodes)
  children?: FieldNode[] // a protocol layer is a node whose label is the layer title
  problem?: string       // malformed/truncated/bad-checksum: one short sentence
}

export function field(label: string, start: number, length: number, children?: FieldNode[], problem?: string): FieldNode {
  const node: FieldNode = { label, start, length }
  if (children && children.length > 0) node.children = children
  if (problem) node.problem = problem
  return node
}

/** `status` undefined: the covered bytes are not all present, so the checksum cannot be verified. */
export function checksumField(name: string, offset: number, value: number, status: ChecksumStatus | undefined): FieldNode {
  const label = `${name}: ${hex(value, 4)}`
  if (!status) return field(`${label} [unverified]`, offset, 2)
  if (status.ok) return field(`${label} [correct]`, offset, 2)
  const should = hex(status.expected, 4)
  return field(`${label} [incorrect, should be ${should}]`, offset, 2, undefined, `Bad checksum, should be ${should}`)
}

export function dataLayer(bytes: Uint8Array, offset: number, length: number): FieldNode {
  return field(`Data (${length} bytes)`, offset, length, [field(`Data: ${hexBytes(bytes, offset, length)}`, offset, length)])
}

/** A layer whose header could not be decoded: it covers the remaining bytes and says why. */
export function malformedLayer(title: string, offset: number, length: number, problem: string): FieldNode {
  return field(`${title} [Malformed]`, offset, length, undefined, problem)
}

export function flagField(name: string, set: boolean, offset: number, length: number): FieldNode {
  return field(`${name}: ${set ? 'Set' : 'Not set'}`, offset, length)
}
