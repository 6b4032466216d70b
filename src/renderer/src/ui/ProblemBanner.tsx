// Why Start failed, and, when only root can fix it, the ways out: let the app
// run the helper through pkexec (desktop), copy the command for a terminal, or,
// where passt or QEMU is installed, start on the user-mode network instead (no TUN, no root).
import { useState } from 'react'

import type { TunCreateResult } from '../../../shared/desktopApi'
import type { StartProblem, TunCreateRequest } from '../../../shared/protocol'

interface Props {
  problem: StartProblem
  onRetry(): void
  createTun?: (request: TunCreateRequest) => Promise<TunCreateResult>
  /** Starts again with the same settings but the user-mode network as the host side. */
  onUseUserNet(): void
}

export function ProblemBanner({ problem, onRetry, createTun, onUseUserNet }: Props): React.JSX.Element {
  const [note, setNote] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const command = problem.tunCommand
  const create = async (): Promise<void> => {
    if (!command || !createTun) return
    setBusy(true)
    const result = await createTun(command)
    setBusy(false)
    if (result.ok) {
      setNote(null)
      onRetry()
    } else {
      setNote(result.reason === 'cancelled' ? 'Cancelled. Run the command below in a terminal instead, then Retry.' : `${result.message} Run the command below in a terminal instead, then Retry.`)
    }
  }
  return (
    <div className="problem" role="alert" data-testid="problem">
      <p>{problem.message}</p>
      {command && (
        <div className="command-row">
          <code data-testid="tun-command">{command.commandLine}</code>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(command.commandLine).then(() => setNote('Copied.'))}>Copy</button>
          {createTun && <button type="button" className="primary" disabled={busy} onClick={() => void create()}>Create it now…</button>}
        </div>
      )}
      {note && <p className="muted">{note}</p>}
      <div className="problem-actions">
        <button type="button" onClick={onRetry}>Retry</button>
        {problem.userNetOffer && (
          <button type="button" onClick={onUseUserNet} title="Start again on the user-mode network (passt or QEMU's libslirp): no TUN and no admin rights; the device is reached through forwarded host ports">
            No admin rights: use the user-mode network
          </button>
        )}
      </div>
    </div>
  )
}
