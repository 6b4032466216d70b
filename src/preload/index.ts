// The renderer's only door to the main process; it widens with the desktop app.
import { contextBridge } from 'electron'

contextBridge.exposeInMainWorld('tunscope', { platform: process.platform })
