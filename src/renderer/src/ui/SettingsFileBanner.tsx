// Trouble with the settings file, apart from Start's problem (Start clears
// neither): an unreadable file the engine kept aside, said until dismissed
// here, and a failed save, said until a save succeeds.
import { useState } from 'react'

interface Props {
  unreadable: string | null
  unsaved: string | null
}

export function SettingsFileBanner({ unreadable, unsaved }: Props): React.JSX.Element | null {
  const [dismissed, setDismissed] = useState<string | null>(null)
  const showUnreadable = unreadable !== null && unreadable !== dismissed
  if (!showUnreadable && !unsaved) return null
  return (
    <div className="problem" role="alert" data-testid="settings-file">
      {unsaved && <p>{unsaved}</p>}
      {showUnreadable && (
        <p>
          {unreadable} <button type="button" className="link" onClick={() => setDismissed(unreadable)}>Dismiss</button>
        </p>
      )}
    </div>
  )
}
