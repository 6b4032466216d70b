// The frame list's shown columns for its width now (frameColumns.ts fittedColumns). Follows the
// list's size, but re-renders only when the set of columns that fit changes.
import { useLayoutEffect, useMemo, useState } from 'react'

import { fittedColumns, type ColumnKey, type ColumnLayout } from './frameColumns'

export function useFittedColumns(list: React.RefObject<HTMLElement | null>, layout: ColumnLayout): ColumnKey[] {
  const [fitted, setFitted] = useState(() => fittedColumns(layout, Infinity).join(' '))
  useLayoutEffect(() => {
    const el = list.current
    if (!el) return
    // clientWidth: the width the rows get, the scroll bar excluded.
    const fit = (): void => setFitted(fittedColumns(layout, el.clientWidth).join(' '))
    fit()
    const observer = new ResizeObserver(fit)
    observer.observe(el)
    return () => observer.disconnect()
  }, [list, layout])
  return useMemo(() => fitted.split(' ') as ColumnKey[], [fitted])
}
