// Entry of the engine's utility process (started by engineHost.ts): hosts the
// EngineService, so the bridge's data path shares a thread with neither the UI
// nor the main process. A utility process has no Electron main-process API,
// only process.parentPort.
import { homedir } from 'node:os'

import { EngineService } from '../service/engineService.js'
import { ENGINE_ENV } from './engineMessages.js'
import { serveEngine } from './engineServer.js'

const service = new EngineService({
  settingsFile: process.env[ENGINE_ENV.settingsFile] ?? null,
  // A relative socket path is taken from the home folder, as in a new terminal.
  baseDir: homedir(),
  application: process.env[ENGINE_ENV.application] ?? 'Tunscope'
})
serveEngine(process.parentPort, service)
