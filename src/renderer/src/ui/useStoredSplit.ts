// A split's sizes (react-resizable-panels), remembered between runs once the user moves its separator.
import { useCallback, useState } from 'react'
import type { Layout, LayoutChangedMeta } from 'react-resizable-panels'

import { parseSplitSizes, readStoredLayout, writeStoredLayout } from './storedLayout'

export interface StoredSplit {
  /** The stored sizes, or undefined for the panels' own default sizes. */
  defaultLayout: Layout | undefined
  onLayoutChanged(layout: Layout, meta: LayoutChangedMeta): void
}

/** `panelIds`: the split's panels, as their `id`s. */
export function useStoredSplit(name: string, panelIds: readonly string[]): StoredSplit {
  // Read once: the split owns its sizes after mount.
  const [defaultLayout] = useState(() => readStoredLayout<Layout | undefined>(name, (value) => parseSplitSizes(value, panelIds), undefined))
  const onLayoutChanged = useCallback((layout: Layout, meta: LayoutChangedMeta): void => {
    // Only the user's moves: a window resize squeezing a panel to its minimum is not a new choice.
    if (meta.isUserInteraction) writeStoredLayout(name, meta.requestedLayout ?? layout)
  }, [name])
  return { defaultLayout, onLayoutChanged }
}
