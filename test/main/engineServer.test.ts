// The engine process's side: a window's MessagePort becomes a UI client of
// the engine (untrusted input dropped), and exports land in files.
import { EventEmitter } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Writable } from 'node:stream'

import type { ParentPort } from 'electron'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'

import { serveEngine, type Engine } from '../../src/main/engineServer.js'
import { EngineService, type UiClient } from '../../src/service/engineService.js'
import { DEFAULT_SETTINGS, type SettingsRejectedMessage } from '../../src/shared/protocol.js'
import { StubMessagePort } from './electronStub.js'

vi.mock('electron', () => import('./electronStub.js'))

class FakeParentPort extends EventEmitter {
  readonly postMessage = vi.fn()
}

const dir = mkdtempSync(join(tmpdir(), 'tunscope-engine-server-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let parent: FakeParentPort
let clients: UiClient[]
let detaches: ReturnType<typeof vi.fn>[]
let engine: Engine & { handle: ReturnType<typeof vi.fn> }

beforeEach(() => {
  parent = new FakeParentPort()
  clients = []
  detaches = []
  engine = {
    attach: (client) => {
      clients.push(client)
      const detach = vi.fn()
      detaches.push(detach)
      client.sendMessage({ type: 'settingsRejected', message: 'hello stand-in' })
      return detach
    },
    handle: vi.fn(async (): Promise<SettingsRejectedMessage | null> => null),
    writePcapng: async (out: Writable) => {
      out.write('pcapng bytes')
      await new Promise<void>((resolve) => out.end(resolve))
    }
  }
  serveEngine(parent as unknown as ParentPort, engine)
})

function connect(window: number): StubMessagePort {
  const port = new StubMessagePort()
  parent.emit('message', { data: { type: 'connect', window }, ports: [port] })
  return port
}

function exported(): Promise<unknown> {
  return vi.waitFor(() => {
    expect(parent.postMessage).toHaveBeenCalled()
    return parent.postMessage.mock.calls[0]![0]
  })
}

describe('connect', () => {
  it("makes the window's port a UI client: messages and frame batches go out on it", () => {
    const port = connect(1)
    expect(port.start).toHaveBeenCalled()
    expect(port.postMessage).toHaveBeenCalledWith({ type: 'settingsRejected', message: 'hello stand-in' })
    const batch = new Uint8Array([1, 2, 3])
    clients[0]!.sendFrames(batch)
    expect(port.postMessage).toHaveBeenLastCalledWith(batch)
    expect(clients[0]!.backlog()).toBe(0)
  })

  it('passes UiCommands to the engine and drops anything else', () => {
    const port = connect(1)
    const start = { type: 'start', settings: DEFAULT_SETTINGS }
    for (const data of [start, { type: 'stop' }, { type: 'start' }, { type: 'rm -rf' }, 'stop', null, new Uint8Array(4)]) port.emit('message', { data, ports: [] })
    expect(engine.handle.mock.calls).toEqual([[start], [{ type: 'stop' }]])
  })

  it("answers refused settings on the sender's port only", async () => {
    const refusal: SettingsRejectedMessage = { type: 'settingsRejected', message: 'TUN name "a;b" is not an interface name.' }
    engine.handle.mockResolvedValueOnce(refusal)
    const sender = connect(1)
    const other = connect(2)
    sender.emit('message', { data: { type: 'saveSettings', settings: { ...DEFAULT_SETTINGS, tun: 'a;b' } }, ports: [] })
    await vi.waitFor(() => expect(sender.postMessage).toHaveBeenLastCalledWith(refusal))
    expect(other.postMessage).not.toHaveBeenCalledWith(refusal)
  })

  it('detaches the client when its port closes', () => {
    const port = connect(1)
    port.emit('close')
    expect(detaches[0]).toHaveBeenCalled()
  })

  it("a window's new port replaces its old one; other windows keep theirs", () => {
    const first = connect(1)
    const other = connect(2)
    connect(1)
    expect(detaches[0]).toHaveBeenCalled()
    expect(first.close).toHaveBeenCalled()
    expect(detaches[1]).not.toHaveBeenCalled()
    expect(other.close).not.toHaveBeenCalled()
  })

  it('ignores a connect message without a port', () => {
    parent.emit('message', { data: { type: 'connect', window: 1 }, ports: [] })
    expect(clients).toHaveLength(0)
  })
})

describe('export', () => {
  it('writes the capture to the file and answers ok', async () => {
    const path = join(dir, 'capture.pcapng')
    parent.emit('message', { data: { type: 'export', id: 7, path }, ports: [] })
    expect(await exported()).toEqual({ type: 'exported', id: 7, ok: true })
    expect(readFileSync(path, 'utf8')).toBe('pcapng bytes')
  })

  it('answers with one sentence when the file cannot be written', async () => {
    const path = join(dir, 'no-such-folder', 'capture.pcapng')
    parent.emit('message', { data: { type: 'export', id: 8, path }, ports: [] })
    expect(await exported()).toEqual({
      type: 'exported', id: 8, ok: false, message: expect.stringMatching(/^Could not save the capture to .*no-such-folder.*ENOENT.*; choose another place\.$/)
    })
  })
})

describe('with the real EngineService', () => {
  it('greets a new port with hello, and exports a pcapng file', async () => {
    const service = new EngineService({ settingsFile: null, baseDir: dir, application: 'Tunscope test' })
    try {
      const realParent = new FakeParentPort()
      serveEngine(realParent as unknown as ParentPort, service)
      const port = new StubMessagePort()
      realParent.emit('message', { data: { type: 'connect', window: 1 }, ports: [port] })
      expect(port.postMessage.mock.calls[0]![0]).toMatchObject({ type: 'hello', status: { type: 'status', running: false } })

      const path = join(dir, 'real.pcapng')
      realParent.emit('message', { data: { type: 'export', id: 1, path }, ports: [] })
      await vi.waitFor(() => expect(realParent.postMessage).toHaveBeenCalledWith({ type: 'exported', id: 1, ok: true }))
      // A pcapng Section Header Block comes first.
      expect(readFileSync(path).readUInt32LE(0)).toBe(0x0a0d0d0a)
    } finally {
      await service.close()
    }
  })
})
