// `tunscope bridge --json | head -1`: when the reader of the stats goes away, the bridge stops as
// on Ctrl-C (one sentence, its TUN gone, exit 0), where it used to die of EPIPE with a stack trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { TUNSCOPE_BIN } from '../helpers/bridgeProcess.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'
import { exitOf, interfaceNames, LineLog } from './cliHelpers.js'

describe.skipIf(skipNetns)('tunscope bridge --json whose reader goes away', () => {
  let host: Netns

  beforeAll(async () => {
    requireNetns()
    host = await createNamespace('tsjson')
  })

  afterAll(async () => {
    await destroyAll()
  })

  it('stops cleanly: one sentence, no stack trace, the TUN removed, exit 0', async () => {
    const child = host.spawn(process.execPath, [TUNSCOPE_BIN, 'bridge', '--json', '--tun', 'tun0', '--socket', '/tmp/tunscope-no-device.sock'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const stdout = new LineLog(child.stdout!)
    const stderr = new LineLog(child.stderr!)
    await stdout.waitFor(/^\{"framing"/, 'the first stats line', 0, 15_000).catch((error: Error) => {
      throw new Error(`${error.message}\nstderr: ${stderr.text}`)
    })
    expect(await interfaceNames(host)).toContain('tun0')
    child.stdout!.destroy() // the reader goes away; the next line meets EPIPE
    const { code } = await exitOf(child)
    const text = stderr.lines.map((l) => l.text).join('\n')
    expect(code, text).toBe(0)
    expect(text).toMatch(/standard output was closed \(its reader went away\): stopping/)
    expect(text).not.toMatch(/EPIPE|Error|at .*\.js:\d+/)
    expect(await interfaceNames(host)).not.toContain('tun0')
  }, 30_000)
})
