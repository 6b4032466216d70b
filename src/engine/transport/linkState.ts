// What every transport keeps the same way: the link state it shows, each
// change reported to onState, and the three moves every link makes.
import type { LinkState, TransportEvents } from './types.js'

export abstract class LinkStateTransport {
  private current: LinkState

  protected constructor(
    protected readonly events: TransportEvents,
    endpoint: string,
    detail: string | null = null
  ) {
    this.current = { status: 'waiting', endpoint, attempt: 0, connections: 0, detail }
  }

  get state(): LinkState {
    return this.current
  }

  /** Reports the state as it is (on start). */
  protected announce(): void {
    this.events.onState(this.current)
  }

  protected setState(change: Partial<LinkState>): void {
    this.current = { ...this.current, ...change }
    this.events.onState(this.current)
  }

  /** A device connected: one more connection, no failed attempt. */
  protected setConnected(): void {
    this.setState({ status: 'connected', attempt: 0, connections: this.current.connections + 1, detail: null })
  }

  /** Not connected, `why`, and trying again: 'waiting' until the first connection, 'reconnecting' after. */
  protected setRetrying(why: string): void {
    const status = this.current.connections === 0 ? 'waiting' : 'reconnecting'
    this.setState({ status, attempt: this.current.attempt + 1, detail: why })
  }
}
