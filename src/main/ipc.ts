// Typed ipcMain handlers that answer only our window's own page: a call from
// any other frame or URL (an injected iframe, a page navigated elsewhere) is
// refused before its arguments are even looked at.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'

import type { AppPage } from './appPage.js'
import type { IpcChannel, IpcChannels } from './ipcChannels.js'

export function isTrustedSender(event: IpcMainInvokeEvent, window: BrowserWindow | null, page: AppPage): boolean {
  const frame = event.senderFrame
  if (window === null || window.isDestroyed() || frame === null) return false
  return event.sender.id === window.webContents.id && frame.parent === null && page.isPage(frame.url)
}

/**
 * Registers `run` for `channel`. `parse` checks the renderer's arguments and
 * returns them typed, or null to refuse the call.
 */
export function handle<C extends IpcChannel, A extends unknown[]>(
  channel: C,
  trusted: (event: IpcMainInvokeEvent) => boolean,
  parse: (args: unknown[]) => A | null,
  run: (event: IpcMainInvokeEvent, ...args: A) => ReturnType<IpcChannels[C]>
): void {
  ipcMain.handle(channel, (event, ...raw: unknown[]) => {
    if (!trusted(event)) throw new Error(`${channel} refused: the call did not come from the Tunscope window.`)
    const args = parse(raw)
    if (args === null) throw new Error(`${channel} refused: its arguments are malformed.`)
    return run(event, ...args)
  })
}

/** For channels that take no arguments. */
export const noArgs = (args: unknown[]): [] | null => (args.length === 0 ? [] : null)
