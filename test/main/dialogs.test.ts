// Export asks where to save, then has the engine write there; the socket
// picker returns the chosen path.
import { homedir } from 'node:os'
import { join } from 'node:path'

import type { BrowserWindow } from 'electron'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import { captureFileName, chooseSocket, exportCapture } from '../../src/main/dialogs.js'
import { dialog, resetStub, StubBrowserWindow } from './electronStub.js'

vi.mock('electron', () => import('./electronStub.js'))

let window: BrowserWindow
const engine = { exportPcapng: vi.fn() }

beforeEach(() => {
  resetStub()
  window = new StubBrowserWindow({}) as unknown as BrowserWindow
})

describe('captureFileName', () => {
  it('is tunscope-YYYYMMDD-HHMMSS.pcapng in local time', () => {
    expect(captureFileName(new Date(2025, 0, 2, 3, 4, 5))).toBe('tunscope-20250102-030405.pcapng')
    expect(captureFileName(new Date(2025, 11, 31, 23, 59, 58))).toBe('tunscope-20251231-235958.pcapng')
  })
})

describe('exportCapture', () => {
  it('offers a dated pcapng name in Documents and writes where the user chose', async () => {
    dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: '/home/u/cap.pcapng' })
    engine.exportPcapng.mockResolvedValue({ type: 'exported', id: 1, ok: true })
    await expect(exportCapture(window, engine)).resolves.toEqual({ saved: true, path: '/home/u/cap.pcapng' })
    const [parent, options] = dialog.showSaveDialog.mock.calls[0]!
    expect(parent).toBe(window)
    expect(options).toMatchObject({ defaultPath: expect.stringMatching(/^\/stub\/documents\/tunscope-\d{8}-\d{6}\.pcapng$/), filters: [{ extensions: ['pcapng'] }] })
    expect(engine.exportPcapng).toHaveBeenCalledWith('/home/u/cap.pcapng')
  })

  it('cancelled: nothing saved, nothing to say', async () => {
    dialog.showSaveDialog.mockResolvedValue({ canceled: true, filePath: '' })
    await expect(exportCapture(window, engine)).resolves.toEqual({ saved: false, message: null })
    expect(engine.exportPcapng).not.toHaveBeenCalled()
  })

  it("the engine could not write: its sentence", async () => {
    dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: '/ro/cap.pcapng' })
    engine.exportPcapng.mockResolvedValue({ type: 'exported', id: 1, ok: false, message: 'Could not save the capture to /ro/cap.pcapng (EROFS); choose another place.' })
    await expect(exportCapture(window, engine)).resolves.toEqual({ saved: false, message: 'Could not save the capture to /ro/cap.pcapng (EROFS); choose another place.' })
  })
})

describe('chooseSocket', () => {
  it('opens at the current path (relative to home, as the engine takes it), showing hidden files', async () => {
    dialog.showOpenDialog.mockResolvedValue({ canceled: false, filePaths: ['/proj/temp/esp32-uart1.sock'] })
    await expect(chooseSocket(window, 'temp/esp32-uart1.sock')).resolves.toBe('/proj/temp/esp32-uart1.sock')
    expect(dialog.showOpenDialog.mock.calls[0]![1]).toMatchObject({
      defaultPath: join(homedir(), 'temp/esp32-uart1.sock'),
      properties: expect.arrayContaining(['openFile', 'showHiddenFiles'])
    })
  })

  it('cancelled: null', async () => {
    dialog.showOpenDialog.mockResolvedValue({ canceled: true, filePaths: [] })
    await expect(chooseSocket(window, '/tmp/uart.sock')).resolves.toBeNull()
  })
})
