// Main's side of the engine: one utility process, restarted when it dies;
// each window gets its own MessagePort to it; exports are matched to replies.
import type { WebContents } from 'electron'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { EngineHost } from '../../src/main/engineHost.js'
import { resetStub, StubWebContents, utilityProcess, type StubUtilityProcess } from './electronStub.js'

vi.mock('electron', () => import('./electronStub.js'))

const onRestart = vi.fn()
let host: EngineHost

function child(n = 0): StubUtilityProcess {
  return utilityProcess.fork.mock.results[n]!.value as StubUtilityProcess
}

beforeEach(() => {
  resetStub()
  vi.useFakeTimers()
  host = new EngineHost({ entry: '/app/out/main/engineProcess.js', settingsFile: '/home/u/.config/Tunscope/settings.json', application: 'Tunscope 0.1.0', onRestart })
  host.start()
})

afterEach(() => {
  host.stop()
  vi.useRealTimers()
})

describe('EngineHost', () => {
  it('forks the engine process with its settings file and application name', () => {
    expect(utilityProcess.fork).toHaveBeenCalledWith('/app/out/main/engineProcess.js', [], expect.objectContaining({
      env: expect.objectContaining({ TUNSCOPE_SETTINGS_FILE: '/home/u/.config/Tunscope/settings.json', TUNSCOPE_APPLICATION: 'Tunscope 0.1.0' })
    }))
  })

  it('gives a window one end of a new channel and the engine the other', () => {
    const contents = new StubWebContents()
    host.connect(contents as unknown as WebContents)
    const [message, [enginePort]] = child().postMessage.mock.calls[0]! as [unknown, unknown[]]
    expect(message).toEqual({ type: 'connect', window: contents.id })
    const [channel, data, [windowPort]] = contents.postMessage.mock.calls[0]! as [string, unknown, unknown[]]
    expect([channel, data]).toEqual(['engine-port', null])
    expect(windowPort).not.toBe(enginePort)
  })

  it('starts a dead engine again after a pause, then has the windows reconnect', () => {
    child().emit('exit', 1)
    expect(utilityProcess.fork).toHaveBeenCalledTimes(1)
    // No engine meanwhile: connecting sends nothing.
    const contents = new StubWebContents()
    host.connect(contents as unknown as WebContents)
    expect(contents.postMessage).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1000)
    expect(utilityProcess.fork).toHaveBeenCalledTimes(2)
    expect(onRestart).toHaveBeenCalledTimes(1)
  })

  it('does not restart an engine it stopped', () => {
    host.stop()
    expect(child().kill).toHaveBeenCalled()
    child().emit('exit', 0)
    vi.advanceTimersByTime(5000)
    expect(utilityProcess.fork).toHaveBeenCalledTimes(1)
  })

  it('resolves each export with its own reply', async () => {
    const first = host.exportPcapng('/tmp/a.pcapng')
    const second = host.exportPcapng('/tmp/b.pcapng')
    const [a, b] = child().postMessage.mock.calls.map(([message]) => message as { id: number; path: string })
    expect([a!.path, b!.path]).toEqual(['/tmp/a.pcapng', '/tmp/b.pcapng'])
    child().emit('message', { type: 'exported', id: b!.id, ok: false, message: 'Disk full.' })
    child().emit('message', { type: 'exported', id: a!.id, ok: true })
    await expect(first).resolves.toMatchObject({ ok: true })
    await expect(second).resolves.toMatchObject({ ok: false, message: 'Disk full.' })
  })

  it('fails an export the engine died during, and one asked while it restarts', async () => {
    const during = host.exportPcapng('/tmp/a.pcapng')
    child().emit('exit', 1)
    await expect(during).resolves.toMatchObject({ ok: false, message: expect.stringContaining('engine stopped') })
    await expect(host.exportPcapng('/tmp/b.pcapng')).resolves.toMatchObject({ ok: false, message: expect.stringContaining('restarting') })
  })
})
