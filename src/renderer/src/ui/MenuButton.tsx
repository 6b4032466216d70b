// A button that opens a menu (WAI-ARIA menu button): the arrows move between items, Escape closes
// and gives the focus back to the button, Tab closes and moves on from the button, a click
// elsewhere closes. The menu is drawn in
// the menu layer above everything but dialogs (styles.css), placed under the button on the side
// with room, and kept inside the window.
import { useId, type ReactNode } from 'react'
import { createPortal } from 'react-dom'

import { useAnchoredPopup } from './useAnchoredPopup'

interface Props {
  /** The button's text. */
  label: string
  title: string
  /** The menu's accessible name. */
  menuLabel: string
  /** The items (role menuitem or menuitemcheckbox, tabIndex -1); `close` closes the menu and focuses the button. */
  children(close: () => void): ReactNode
}

const ITEMS = '[role="menuitem"], [role="menuitemcheckbox"]'

export function MenuButton({ label, title, menuLabel, children }: Props): React.JSX.Element {
  const { open, setOpen, button, popup: menu, close } = useAnchoredPopup<HTMLDivElement>(ITEMS)
  const menuId = useId()

  const onMenuKey = (event: React.KeyboardEvent): void => {
    const items = Array.from(menu.current?.querySelectorAll<HTMLElement>(ITEMS) ?? [])
    const at = items.indexOf(document.activeElement as HTMLElement)
    const last = items.length - 1
    const to = { ArrowDown: at < last ? at + 1 : 0, ArrowUp: at > 0 ? at - 1 : last, Home: 0, End: last }[event.key]
    if (to !== undefined) {
      event.preventDefault()
      items[to]?.focus()
    } else if (event.key === 'Escape') {
      event.stopPropagation()
      close()
    } else if (event.key === 'Tab') {
      // From the button, so Tab goes on to what follows it (the menu itself is at the end of the page).
      close()
    }
  }

  return (
    <>
      <button
        type="button"
        ref={button}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        title={title}
        onClick={() => setOpen(!open)}
      >
        {label}
      </button>
      {open && createPortal(
        <div className="menu" role="menu" id={menuId} aria-label={menuLabel} ref={menu} onKeyDown={onMenuKey}>
          {children(close)}
        </div>,
        document.body
      )}
    </>
  )
}
