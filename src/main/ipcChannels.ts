// The invoke channels between the preload and the main process, one map for
// both sides: the preload calls them with these arguments, main answers with
// these results (after checking the arguments itself: the renderer is untrusted).
import type { ExportResult, TunCreateResult } from '../shared/desktopApi.js'
import type { TunCreateRequest } from '../shared/protocol.js'

export interface IpcChannels {
  'tun:create': (request: TunCreateRequest) => Promise<TunCreateResult>
  'capture:export': () => Promise<ExportResult>
  'socket:choose': (current: string) => Promise<string | null>
  /** Posts a fresh engine MessagePort to the calling window ('engine-port'). */
  'engine:connect': () => void
}

export type IpcChannel = keyof IpcChannels

/** The one message main sends unasked: a MessagePort to the engine process. */
export const ENGINE_PORT_CHANNEL = 'engine-port'
