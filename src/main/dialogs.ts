// The native file dialogs: where to save the capture, and which UART socket to use.
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

import { app, dialog, type BrowserWindow } from 'electron'

import type { ExportResult } from '../shared/desktopApi.js'
import type { EngineHost } from './engineHost.js'

/** tunscope-YYYYMMDD-HHMMSS.pcapng, in local time. */
export function captureFileName(now: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0')
  const date = `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}`
  return `tunscope-${date}-${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}.pcapng`
}

export async function exportCapture(window: BrowserWindow, engine: Pick<EngineHost, 'exportPcapng'>): Promise<ExportResult> {
  const { canceled, filePath } = await dialog.showSaveDialog(window, {
    title: 'Export capture',
    defaultPath: join(app.getPath('documents'), captureFileName(new Date())),
    filters: [{ name: 'pcapng capture', extensions: ['pcapng'] }],
    properties: ['showOverwriteConfirmation']
  })
  if (canceled || !filePath) return { saved: false, message: null }
  const reply = await engine.exportPcapng(filePath)
  return reply.ok ? { saved: true, path: filePath } : { saved: false, message: reply.message }
}

/**
 * A socket is not a regular file, and QEMU may not have made it yet: the
 * dialog shows hidden files, and the settings field still takes a typed path.
 */
export async function chooseSocket(window: BrowserWindow, current: string): Promise<string | null> {
  const { canceled, filePaths } = await dialog.showOpenDialog(window, {
    title: 'Choose the UART socket',
    // Relative paths are taken from the home folder, as the engine does.
    defaultPath: resolve(homedir(), current),
    buttonLabel: 'Use socket',
    properties: ['openFile', 'showHiddenFiles']
  })
  return canceled ? null : (filePaths[0] ?? null)
}
