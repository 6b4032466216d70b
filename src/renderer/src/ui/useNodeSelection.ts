// Which details-tree node is selected, remembered per record: another record starts with none.
import { useState } from 'react'
import type { RecordTree } from './useRecordTree'

export function useNodeSelection(record: RecordTree | null): [string | null, (path: string) => void] {
  const [selection, setSelection] = useState<{ index: number; path: string } | null>(null)
  const path = record && selection?.index === record.index ? selection.path : null
  const select = (next: string): void => {
    if (record) setSelection({ index: record.index, path: next })
  }
  return [path, select]
}
