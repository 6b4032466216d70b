// What each invoke channel does, with its arguments checked first.
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron'

import type { AppPage } from './appPage.js'
import { chooseSocket, exportCapture } from './dialogs.js'
import type { EngineHost } from './engineHost.js'
import { handle, isTrustedSender, noArgs } from './ipc.js'
import { createTun, parseTunCreateRequest, type HelperLocation } from './tunHelper.js'

export interface HandlerContext {
  /** The app window (null before it opens and after it closes). */
  window(): BrowserWindow | null
  page: AppPage
  engine: EngineHost
  helper: HelperLocation
}

/** Longer than any path Linux takes (PATH_MAX is 4096). */
const MAX_PATH = 4096

export function registerHandlers(context: HandlerContext): void {
  const trusted = (event: IpcMainInvokeEvent): boolean => isTrustedSender(event, context.window(), context.page)
  // A trusted sender is the window itself, so window() is not null in these handlers.
  const window = (): BrowserWindow => context.window()!

  handle('tun:create', trusted, oneArg(parseTunCreateRequest), (_event, request) => createTun(request, context.helper))
  handle('capture:export', trusted, noArgs, () => exportCapture(window(), context.engine))
  handle('socket:choose', trusted, oneArg(pathArg), (_event, current) => chooseSocket(window(), current))
  handle('engine:connect', trusted, noArgs, (event) => context.engine.connect(event.sender))
}

function oneArg<T>(parse: (value: unknown) => T | null): (args: unknown[]) => [T] | null {
  return (args) => {
    const value = args.length === 1 ? parse(args[0]) : null
    return value === null ? null : [value]
  }
}

function pathArg(value: unknown): string | null {
  return typeof value === 'string' && value.length <= MAX_PATH ? value : null
}
