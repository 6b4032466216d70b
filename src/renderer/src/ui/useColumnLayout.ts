// The frame list's column layout (widths, hidden columns), remembered between runs.
import { useCallback, useState } from 'react'

import { DEFAULT_COLUMN_LAYOUT, parseColumnLayout, type ColumnLayout } from './frameColumns'
import { readStoredLayout, writeStoredLayout } from './storedLayout'

const STORED_AS = 'columns'

export function useColumnLayout(): [ColumnLayout, (layout: ColumnLayout) => void] {
  const [layout, setLayout] = useState(() => readStoredLayout(STORED_AS, parseColumnLayout, DEFAULT_COLUMN_LAYOUT))
  const change = useCallback((next: ColumnLayout): void => {
    setLayout(next)
    writeStoredLayout(STORED_AS, next)
  }, [])
  return [layout, change]
}
