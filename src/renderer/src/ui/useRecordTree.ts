// The selected record's bytes and details tree, built once per selection (not per batch).
import { useMemo } from 'react'
import type { FieldNode } from '../../../engine/decode'
import type { FrameStore } from '../store/frameStore'
import { recordTree } from './recordTree'

export interface RecordTree {
  index: number
  /** A copy: the store's view of a record is overwritten once the record is dropped. */
  bytes: Uint8Array
  nodes: FieldNode[]
}

/** null when nothing is selected or the store no longer holds the record. */
export function useRecordTree(store: FrameStore, index: number | null, baud: number, timeBase: number, deviceNames?: readonly string[]): RecordTree | null {
  // Read on every render (the parent re-renders on each store version): a dropped record disappears.
  const held = index !== null && store.has(index)
  return useMemo(() => {
    if (!held || index === null) return null
    const bytes = store.bytes(index).slice()
    const info = {
      seq: store.seq(index), time: store.time(index), direction: store.direction(index),
      error: store.error(index), wireLength: store.wireLength(index), framing: store.framing(index), bytes,
      device: deviceNames?.[store.port(index)]
    }
    return { index, bytes, nodes: recordTree(info, baud, timeBase) }
  }, [store, index, held, baud, timeBase, deviceNames])
}
