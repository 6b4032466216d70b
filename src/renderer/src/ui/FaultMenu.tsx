// The demo device's faults, as a menu button: each item puts one fault on the
// wire and names the inspector counter it shows up in. Keyboard as a WAI-ARIA
// menu button: the arrows move, Escape closes, Tab or a click elsewhere closes.
import { useEffect, useId, useRef, useState } from 'react'

import { DEMO_FAULTS, FAULT_TEXT, type DemoFault } from '../../../shared/demoFaults'

export function FaultMenu({ onFault }: { onFault(fault: DemoFault): void }): React.JSX.Element {
  const [open, setOpen] = useState(false)
  const wrap = useRef<HTMLDivElement>(null)
  const button = useRef<HTMLButtonElement>(null)
  const items = useRef<(HTMLButtonElement | null)[]>([])
  const menuId = useId()

  useEffect(() => {
    if (!open) return
    items.current[0]?.focus()
    const closeOutside = (event: PointerEvent): void => {
      if (!wrap.current?.contains(event.target as Node)) setOpen(false)
    }
    document.addEventListener('pointerdown', closeOutside)
    return () => document.removeEventListener('pointerdown', closeOutside)
  }, [open])

  const close = (): void => {
    setOpen(false)
    button.current?.focus()
  }
  const onMenuKey = (event: React.KeyboardEvent): void => {
    const at = items.current.indexOf(document.activeElement as HTMLButtonElement)
    const last = DEMO_FAULTS.length - 1
    const to = { ArrowDown: at < last ? at + 1 : 0, ArrowUp: at > 0 ? at - 1 : last, Home: 0, End: last }[event.key]
    if (to !== undefined) {
      event.preventDefault()
      items.current[to]?.focus()
    } else if (event.key === 'Escape') {
      event.stopPropagation()
      close()
    } else if (event.key === 'Tab') {
      setOpen(false)
    }
  }

  return (
    <div className="menu-wrap" ref={wrap}>
      <button
        type="button"
        ref={button}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        title="Have the demo device put a fault on the wire"
        onClick={() => setOpen(!open)}
      >
        Faults ▾
      </button>
      {open && (
        <div className="menu" role="menu" id={menuId} aria-label="Demo faults" onKeyDown={onMenuKey}>
          {DEMO_FAULTS.map((fault, i) => (
            <button
              key={fault}
              type="button"
              role="menuitem"
              tabIndex={-1}
              ref={(item) => { items.current[i] = item }}
              onClick={() => { onFault(fault); close() }}
            >
              <span>{FAULT_TEXT[fault].label}</span>{' '}
              <span className="muted">{FAULT_TEXT[fault].counter}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  )
}
