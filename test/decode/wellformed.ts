// Tree invariants every dissection must hold, whatever the input.
import { expect } from 'vitest'
import type { FieldNode, FrameSummary } from '../../src/engine/decode'

export function flatten(nodes: FieldNode[]): FieldNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children ?? [])])
}

/** Every node's [start, start + length) lies within the frame; labels and problems are non-empty text. */
export function expectWellFormed(frame: Uint8Array, tree: FieldNode[]): void {
  expect(tree.length).toBeGreaterThan(0)
  for (const n of flatten(tree)) {
    expect(typeof n.label).toBe('string')
    expect(n.label.length).toBeGreaterThan(0)
    expect(Number.isInteger(n.start) && Number.isInteger(n.length), n.label).toBe(true)
    expect(n.start, n.label).toBeGreaterThanOrEqual(0)
    expect(n.length, n.label).toBeGreaterThanOrEqual(0)
    expect(n.start + n.length, n.label).toBeLessThanOrEqual(frame.length)
    if (n.problem !== undefined) expect(n.problem.length).toBeGreaterThan(0)
  }
}

export function expectSummaryShape(s: FrameSummary): void {
  for (const key of ['protocol', 'source', 'destination', 'info'] as const) expect(typeof s[key]).toBe('string')
  expect(s.protocol.length).toBeGreaterThan(0)
  expect(s.info.length).toBeGreaterThan(0)
}

/** The node whose label starts with `prefix`, searched depth-first. */
export function findNode(tree: FieldNode[], prefix: string): FieldNode {
  const node = flatten(tree).find((n) => n.label.startsWith(prefix))
  if (!node) throw new Error(`no node starting with ${JSON.stringify(prefix)}`)
  return node
}

export function problems(tree: FieldNode[]): string[] {
  return flatten(tree).flatMap((n) => (n.problem ? [n.problem] : []))
}
