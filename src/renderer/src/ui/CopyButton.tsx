// Copies a text to the clipboard and says so on the button for a moment.
import { useEffect, useState } from 'react'

const COPIED_MS = 1500

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }): React.JSX.Element {
  const [copied, setCopied] = useState(false)
  useEffect(() => {
    if (!copied) return
    const timer = setTimeout(() => setCopied(false), COPIED_MS)
    return () => clearTimeout(timer)
  }, [copied])
  return (
    // Refused (no permission): the text is on screen to select by hand.
    <button type="button" aria-live="polite" onClick={() => void navigator.clipboard?.writeText(text).then(() => setCopied(true), () => {})}>
      {copied ? 'Copied' : label}
    </button>
  )
}
