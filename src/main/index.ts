// Electron main process: one instance, one window, the engine in a utility
// process beside it. The pieces live in the files next to this one.
import { join } from 'node:path'

import { app, type BrowserWindow } from 'electron'

import { appPage } from './appPage.js'
import { EngineHost } from './engineHost.js'
import { registerHandlers } from './ipcHandlers.js'
import { createWindow } from './window.js'

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  let window: BrowserWindow | null = null

  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore()
    window?.focus()
  })
  app.on('window-all-closed', () => app.quit())

  void app.whenReady().then(() => {
    // A packaged app never loads a URL from its environment.
    const page = appPage(app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL, join(import.meta.dirname, '../renderer/index.html'))
    const engine = new EngineHost({
      entry: join(import.meta.dirname, 'engineProcess.js'),
      settingsFile: join(app.getPath('userData'), 'settings.json'),
      application: `Tunscope ${app.getVersion()}`,
      onRestart: () => {
        if (window) engine.connect(window.webContents)
      }
    })
    engine.start()
    app.on('will-quit', () => engine.stop())

    registerHandlers({
      window: () => window,
      page,
      engine,
      helper: { packaged: app.isPackaged, resourcesPath: process.resourcesPath, appPath: app.getAppPath(), execPath: process.execPath, appImage: process.env.APPIMAGE }
    })

    // The page asks for its engine port (engine:connect) once it listens for it, on every load.
    window = createWindow(page, join(import.meta.dirname, '../preload/index.cjs'))
    window.on('closed', () => (window = null))
  })
}
