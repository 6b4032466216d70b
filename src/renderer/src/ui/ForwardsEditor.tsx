// The running user-mode network's port forwards, edited from the status bar: a button opens a
// small popover (a non-modal dialog, placed like a menu) with the forwards, a remove button for
// each, and a field to add more. Every change sends the whole new list (setForwards); a refusal
// comes back as one sentence shown here, the text typed kept to be corrected.
import { useId, useState } from 'react'
import { createPortal } from 'react-dom'

import type { ForwardSnapshot } from '../../../shared/protocol'
import { ForwardLink } from './ForwardLink'
import { useAnchoredPopup } from './useAnchoredPopup'

interface Props {
  forwards: readonly ForwardSnapshot[]
  /** Why the engine refused the last forwards sent (one sentence), or null. */
  refusal: string | null
  /** The whole new list, in the command line's spelling, separated by spaces. */
  onChange(forwards: string): void
}

export function ForwardsEditor({ forwards, refusal, onChange }: Props): React.JSX.Element {
  const { open, setOpen, button, popup, close } = useAnchoredPopup<HTMLDivElement>('input')
  const popupId = useId()
  const [text, setText] = useState('')
  // An added forward waiting for the engine: the field empties once the forwards change.
  const [adding, setAdding] = useState(false)
  const specs = forwards.map((f) => f.spec)
  const specsKey = specs.join(' ')
  const [seen, setSeen] = useState({ specsKey, refusal })
  if (seen.specsKey !== specsKey || seen.refusal !== refusal) {
    setSeen({ specsKey, refusal })
    if (adding && seen.specsKey !== specsKey) setText('')
    setAdding(false)
  }

  const add = (): void => {
    const added = text.trim()
    if (!added) return
    setAdding(true)
    onChange([...specs, added].join(' '))
  }
  const remove = (index: number): void => onChange(specs.filter((_, i) => i !== index).join(' '))

  return (
    <>
      <button
        type="button"
        ref={button}
        className="forwards-button"
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-controls={open ? popupId : undefined}
        title="Add or remove the host ports forwarded to the device"
        onClick={() => setOpen(!open)}
      >
        Forwards ▾
      </button>
      {open && createPortal(
        <div
          className="popover forwards-editor"
          role="dialog"
          id={popupId}
          aria-label="Port forwards"
          ref={popup}
          onKeyDown={(e) => {
            if (e.key !== 'Escape') return
            e.stopPropagation()
            close()
          }}
        >
          <h3>Port forwards</h3>
          {forwards.length === 0
            ? <p className="muted">None: no host port reaches the device.</p>
            : (
              <ul>
                {forwards.map((forward, i) => (
                  <li key={forward.spec} data-testid="forward-entry">
                    <ForwardLink forward={forward} />
                    <code className="muted">{forward.spec}</code>
                    <button type="button" className="remove" aria-label={`Remove ${forward.spec}`} title={`Remove ${forward.spec}`} onClick={() => remove(i)}>×</button>
                  </li>
                ))}
              </ul>
            )}
          <form className="with-button" onSubmit={(e) => { e.preventDefault(); add() }}>
            <input aria-label="New forward" value={text} placeholder="tcp:8090:80" spellCheck={false} onChange={(e) => setText(e.target.value)} />
            <button type="submit">Add</button>
          </form>
          {refusal && <p className="refusal" role="alert" data-testid="forwards-refused">{refusal}</p>}
          <p className="muted hint">tcp:8080:80 forwards the host&apos;s 127.0.0.1:8080 to the device&apos;s port 80; udp:… too. With passt a change restarts it, and the device&apos;s connections through it start over; QEMU&apos;s libslirp changes them live.</p>
        </div>,
        document.body
      )}
    </>
  )
}
