// What the Electron preload exposes to the renderer as `window.tunscope`, and
// nothing more. The engine's event stream does not go through it: the preload
// hands the renderer a MessagePort (posted to the window with ENGINE_PORT_MESSAGE).
import type { TunCreateRequest } from './protocol'

export const ENGINE_PORT_MESSAGE = 'tunscope:engine-port'

export type TunCreateResult =
  | { ok: true }
  /** cancelled: the user dismissed the password prompt; unavailable: no pkexec/polkit agent; failed: the helper ran and refused. */
  | { ok: false; reason: 'cancelled' | 'unavailable' | 'failed'; message: string }

export type ExportResult = { saved: true; path: string } | { saved: false; message: string | null }

export interface DesktopApi {
  /** Runs `tunscope tun create` as root through pkexec and polkit. */
  createTun(request: TunCreateRequest): Promise<TunCreateResult>
  /** Asks where to save, then writes the capture there as pcapng. */
  exportPcapng(): Promise<ExportResult>
  /** A file picker for the UART socket; null when cancelled. */
  chooseSocketPath(current: string): Promise<string | null>
  /** Opens the engine's MessagePort again (after a reload). */
  connectEngine(): void
}
