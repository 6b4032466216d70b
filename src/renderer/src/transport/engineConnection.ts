// The renderer's one door to the engine, with two implementations: the
// Electron preload's MessagePort and a WebSocket to `tunscope serve`.
import type { ExportResult, TunCreateResult } from '../../../shared/desktopApi'
import type { EngineMessage, TunCreateRequest, UiCommand } from '../../../shared/protocol'

export interface EngineListener {
  message(message: EngineMessage): void
  /** One binary frame batch (shared/frameBatch.ts). */
  frames(batch: Uint8Array): void
  /** The connection is up (true) or lost (false). */
  connection(open: boolean): void
}

export interface EngineConnection {
  send(command: UiCommand): void
  /** Replaces the listener; returns a function that closes the connection. */
  connect(listener: EngineListener): () => void
  exportPcapng(): Promise<ExportResult>
  /** Present where the app can run the privileged helper itself (Electron with pkexec). */
  createTun?: (request: TunCreateRequest) => Promise<TunCreateResult>
  /** Present where a native file picker exists. */
  chooseSocketPath?: (current: string) => Promise<string | null>
}
