// Whether an element has a box (width and height over 0) now: false while it or an ancestor is
// display: none, such as the workspace behind the start screen.
import { useLayoutEffect, useState } from 'react'

export function useHasSize(ref: React.RefObject<HTMLElement | null>): boolean {
  const [hasSize, setHasSize] = useState(false)
  useLayoutEffect(() => {
    const el = ref.current
    if (!el) return
    const check = (): void => setHasSize(el.clientWidth > 0 && el.clientHeight > 0)
    check()
    const observer = new ResizeObserver(check)
    observer.observe(el)
    return () => observer.disconnect()
  }, [ref])
  return hasSize
}
