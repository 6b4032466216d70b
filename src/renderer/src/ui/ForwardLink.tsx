// One port forward of the user-mode network, as the host reaches it: a TCP forward is a link to
// http://127.0.0.1:HOSTPORT/ (a forward bound to every address is reached on the loopback too),
// opened in a window of its own; a UDP forward is text.
import type { ForwardSnapshot } from '../../../shared/protocol'

/** Where the host reaches a forward: its bind address, the loopback for an "any" address. */
export function forwardHost({ bindAddress }: ForwardSnapshot): string {
  if (bindAddress === '0.0.0.0' || bindAddress === '') return '127.0.0.1'
  if (bindAddress === '::') return '[::1]'
  return bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress
}

/** "127.0.0.1:8080 → :80", with "udp " before a UDP forward's. */
export function forwardLabel(forward: ForwardSnapshot): string {
  return `${forward.protocol === 'udp' ? 'udp ' : ''}${forwardHost(forward)}:${forward.hostPort} → :${forward.devicePort}`
}

export function ForwardLink({ forward }: { forward: ForwardSnapshot }): React.JSX.Element {
  const label = forwardLabel(forward)
  if (forward.protocol !== 'tcp') return <span className="forward" title={forward.spec}>{label}</span>
  const url = `http://${forwardHost(forward)}:${forward.hostPort}/`
  const link = <a className="forward" href={url} target="_blank" rel="noreferrer" title={`${url} (${forward.spec})`}>{label}</a>
  if (forward.refusedByDevice === 0) return link
  const times = forward.refusedByDevice === 1 ? 'a connection' : `${forward.refusedByDevice} connections`
  return (
    <span className="forward-with-note">
      {link}
      <span className="forward-refused" title={`The device refused ${times} to its port ${forward.devicePort}: nothing listens there.`}>
        :{forward.devicePort} closed
      </span>
    </span>
  )
}
