// startEngine, what passt and QEMU's libslirp share, against a small real program standing in for an
// engine (python3: it prints, makes its unix socket, waits): the ready line found although the
// engine's standard output and standard error interleave mid-line, as QEMU's warning and its QMP
// greeting did; an engine that stops before it is ready is explained from its own words.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { UserError } from '../../src/engine/errors'
import { startEngine, type EngineLaunch, type EngineProcess } from '../../src/engine/uplink/engineProcess'
import { pythonExecutable } from '../helpers/netns'
import { rejection } from '../helpers/userNetEngineParts'

/** A python engine: `script` runs with `path` (its socket's) defined. */
function launch(path: string, script: string): EngineLaunch {
  return {
    command: pythonExecutable(),
    args: ['-c', `import socket, sys, time\npath = ${JSON.stringify(path)}\n${script}`],
    socketPath: path,
    readyLine: /^READY$/,
    readyTimeoutMs: 5_000,
    spawnFailure: (e) => new UserError(`spawn: ${e.code}`),
    earlyExit: (lines, code) => new UserError(`stopped with ${code}: ${lines.join(' | ')}`),
    noSocket: () => new UserError('no socket'),
    notReady: (last, seconds) => new UserError(`not ready in ${seconds} s after "${last}"`)
  }
}

const SERVE = 's = socket.socket(socket.AF_UNIX)\ns.bind(path)\ns.listen()\ntime.sleep(30)'

describe('startEngine (a real child process standing in for the engine)', () => {
  let work: string
  const started: EngineProcess[] = []

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'tunscope-engine-'))
  })
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()))
    rmSync(work, { recursive: true, force: true })
  })

  it('finds its ready line when standard error has half a line out at that moment', async () => {
    const path = join(work, 'e.sock')
    const engine = await startEngine(
      launch(path, `sys.stderr.write('engine: warning:'); sys.stderr.flush(); time.sleep(0.2)\nprint('READY', flush=True); time.sleep(0.2)\nsys.stderr.write(' hub 0 with no nics\\n'); sys.stderr.flush()\n${SERVE}`)
    )
    started.push(engine)
    expect(existsSync(path)).toBe(true)
    await expect.poll(() => engine.output(), { timeout: 5_000 }).toContain('engine: warning: hub 0 with no nics\n')
    expect(engine.output()).toContain('READY\n')
  })

  it('explains an engine that stops before it is ready from its last lines, and leaves no socket', async () => {
    const path = join(work, 'e.sock')
    const e = await rejection(startEngine(launch(path, "sys.stderr.write('engine: could not set up host forwarding rule\\n'); sys.exit(1)")))
    expect(e).toBeInstanceOf(UserError)
    expect(e.message).toBe('stopped with 1: engine: could not set up host forwarding rule')
    expect(existsSync(path)).toBe(false)
  })

  it('says when a ready engine makes no socket', async () => {
    const e = await rejection(startEngine(launch(join(work, 'e.sock'), "print('READY', flush=True)\ntime.sleep(30)")))
    expect(e.message).toBe('no socket')
  })

  it('says when the engine is not ready in time, with its last words', async () => {
    const e = await rejection(startEngine({ ...launch(join(work, 'e.sock'), "print('starting', flush=True)\ntime.sleep(30)"), readyTimeoutMs: 500 }))
    expect(e.message).toBe('not ready in 0.5 s after "starting"')
  })
})
