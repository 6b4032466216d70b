// What a menu and a popover opened by a button share: placed under the button on the side with
// room and kept inside the window (menuPlacement.ts), closed by a click elsewhere or a resize (it
// was placed for that window size, as a native menu is), and, once placed, the focus on its first
// `focusFirst` element.
import { useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react'

import { placeMenu } from './menuPlacement'

export interface AnchoredPopup<P extends HTMLElement> {
  open: boolean
  setOpen(open: boolean): void
  button: RefObject<HTMLButtonElement | null>
  popup: RefObject<P | null>
  /** Closes it and gives the focus back to the button. */
  close(): void
}

export function useAnchoredPopup<P extends HTMLElement>(focusFirst: string): AnchoredPopup<P> {
  const [open, setOpen] = useState(false)
  const button = useRef<HTMLButtonElement>(null)
  const popup = useRef<P>(null)

  useLayoutEffect(() => {
    const el = popup.current
    if (!open || !el || !button.current) return
    const { left, top, maxHeight } = placeMenu(button.current.getBoundingClientRect(), el.getBoundingClientRect(), window.innerWidth, window.innerHeight)
    el.style.left = `${left}px`
    el.style.top = `${top}px`
    el.style.maxHeight = `${maxHeight}px`
    el.querySelector<HTMLElement>(focusFirst)?.focus()
  }, [open, focusFirst])

  useEffect(() => {
    if (!open) return
    const closeOutside = (event: PointerEvent): void => {
      const target = event.target as Node
      if (!button.current?.contains(target) && !popup.current?.contains(target)) setOpen(false)
    }
    const closeNow = (): void => setOpen(false)
    document.addEventListener('pointerdown', closeOutside)
    window.addEventListener('resize', closeNow)
    return () => {
      document.removeEventListener('pointerdown', closeOutside)
      window.removeEventListener('resize', closeNow)
    }
  }, [open])

  const close = (): void => {
    setOpen(false)
    button.current?.focus()
  }
  return { open, setOpen, button, popup, close }
}
