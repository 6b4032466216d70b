// Keeps the engine running in a utility process, off the UI's and the main
// process's threads, and gives each window a MessagePort straight to it. If
// the engine dies it is started again; its windows then get fresh ports (the
// UI shows the gap as a lost connection).
import { MessageChannelMain, utilityProcess, type MessagePortMain, type UtilityProcess, type WebContents } from 'electron'

import { ENGINE_ENV, type ExportedMessage, type ToEngine } from './engineMessages.js'
import { ENGINE_PORT_CHANNEL } from './ipcChannels.js'

/** Not at once: an engine that dies on start would otherwise spin. */
const RESTART_DELAY_MS = 1000

export interface EngineHostOptions {
  /** out/main/engineProcess.js */
  entry: string
  settingsFile: string
  /** Written into exported pcapng files. */
  application: string
  /** The engine is running again after a crash: reconnect the windows. */
  onRestart(): void
}

export class EngineHost {
  private child: UtilityProcess | null = null
  private stopping = false
  private restartTimer: NodeJS.Timeout | undefined
  private nextExportId = 1
  /** Exports the engine has not answered yet. */
  private readonly exports = new Map<number, (reply: ExportedMessage) => void>()

  constructor(private readonly options: EngineHostOptions) {}

  start(): void {
    const child = utilityProcess.fork(this.options.entry, [], {
      serviceName: 'Tunscope engine',
      env: { ...process.env, [ENGINE_ENV.settingsFile]: this.options.settingsFile, [ENGINE_ENV.application]: this.options.application }
    })
    child.on('message', (message: ExportedMessage) => this.settle(message))
    child.once('exit', () => {
      this.child = null
      for (const id of [...this.exports.keys()]) this.settle({ type: 'exported', id, ok: false, message: 'The engine stopped while saving the capture; try again.' })
      if (this.stopping) return
      this.restartTimer = setTimeout(() => {
        this.start()
        this.options.onRestart()
      }, RESTART_DELAY_MS)
    })
    this.child = child
  }

  /** Sends `contents` a new port to the engine (its previous one, if any, is closed). */
  connect(contents: WebContents): void {
    const { port1, port2 } = new MessageChannelMain()
    // While restarting there is no engine to connect to: onRestart connects the window.
    if (this.post({ type: 'connect', window: contents.id }, [port1])) contents.postMessage(ENGINE_PORT_CHANNEL, null, [port2])
  }

  /** Has the engine write the capture so far to `path` as pcapng. */
  exportPcapng(path: string): Promise<ExportedMessage> {
    const id = this.nextExportId++
    if (!this.post({ type: 'export', id, path })) {
      return Promise.resolve({ type: 'exported', id, ok: false, message: 'The engine is restarting; try again in a moment.' })
    }
    return new Promise((resolve) => this.exports.set(id, resolve))
  }

  stop(): void {
    this.stopping = true
    clearTimeout(this.restartTimer)
    this.child?.kill()
  }

  private settle(reply: ExportedMessage): void {
    const resolve = this.exports.get(reply.id)
    this.exports.delete(reply.id)
    resolve?.(reply)
  }

  private post(message: ToEngine, transfer?: MessagePortMain[]): boolean {
    if (!this.child) return false
    this.child.postMessage(message, transfer)
    return true
  }
}
