// The engine process's side of main's messages: each window's MessagePort
// becomes a UiClient of the engine, and exports are written here, where the
// capture lives.
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'

import type { MessagePortMain, ParentPort } from 'electron'

import type { EngineService, UiClient } from '../service/engineService.js'
import { parseUiCommand } from '../shared/protocol.js'
import type { ExportedMessage, ToEngine } from './engineMessages.js'

export type Engine = Pick<EngineService, 'attach' | 'handle' | 'writePcapng'>

export function serveEngine(parent: ParentPort, engine: Engine): void {
  /** Each window's current connection; connecting again closes the old one. */
  const windows = new Map<number, () => void>()
  parent.on('message', ({ data, ports }) => {
    const message = data as ToEngine
    if (message.type === 'connect' && ports[0]) {
      windows.get(message.window)?.()
      windows.set(message.window, connect(engine, ports[0]))
    } else if (message.type === 'export') {
      void exportTo(engine, message.path).then((result) => parent.postMessage({ type: 'exported', id: message.id, ...result } satisfies ExportedMessage))
    }
  })
}

/** Makes the port a client of the engine; returns what disconnects it. */
function connect(engine: Engine, port: MessagePortMain): () => void {
  const client: UiClient = {
    sendMessage: (message) => port.postMessage(message),
    // MessagePortMain cannot transfer ArrayBuffers: the batch is copied.
    sendFrames: (batch) => port.postMessage(batch),
    backlog: () => 0 // a MessagePortMain does not tell
  }
  const detach = engine.attach(client)
  port.on('message', ({ data }) => {
    // The renderer is untrusted: anything that is not a UiCommand is dropped.
    const command = parseUiCommand(data)
    if (command) engine.handle(command).then((refused) => refused && client.sendMessage(refused), restart)
  })
  port.on('close', detach)
  port.start()
  return () => {
    detach()
    port.close()
  }
}

/** handle() fails only on a bug, after which its queue is stuck: exit, and main starts a fresh engine. */
function restart(error: unknown): void {
  console.error('tunscope engine:', error)
  process.exit(1)
}

async function exportTo(engine: Engine, path: string): Promise<{ ok: true } | { ok: false; message: string }> {
  const out = createWriteStream(path)
  try {
    // The writer ends the stream but keeps its errors to itself: finished() reports them.
    await Promise.all([engine.writePcapng(out), finished(out)])
    return { ok: true }
  } catch (error) {
    out.destroy()
    return { ok: false, message: `Could not save the capture to ${path} (${(error as Error).message}); choose another place.` }
  }
}
