// `tunscope bridge --user-net` on a machine with neither engine, or without the one asked for: one
// sentence naming the packages, exit 2 as for any refusal, nothing left behind. PATH holds no program at all
// here (node is run by its full path), as on a machine where neither passt nor QEMU is installed.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { NO_USER_NET_ENGINE } from '../../src/engine/uplink/userNetEngine'
import { PASST_NOT_INSTALLED } from '../../src/engine/uplink/passtProcess'
import { QEMU_NOT_INSTALLED } from '../../src/engine/uplink/slirpProcess'
import { lines, runLocal, TUNSCOPE_BIN } from './cliHelpers'

describe('tunscope bridge --user-net without an engine installed', () => {
  let work: string
  let emptyPath: string

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'tunscope-noengine-'))
    emptyPath = join(work, 'bin')
  })
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  const run = (extra: string[]) =>
    runLocal(process.execPath, [TUNSCOPE_BIN, 'bridge', '--user-net', '--socket', join(work, 'uart.sock'), ...extra], {
      env: { PATH: emptyPath, HOME: work, TMPDIR: work },
      timeoutMs: 20_000
    })

  it.each([
    ['neither engine, none asked for', [], NO_USER_NET_ENGINE],
    ['--user-net-engine passt', ['--user-net-engine', 'passt'], PASST_NOT_INSTALLED],
    ['--user-net-engine slirp', ['--user-net-engine', 'slirp'], QEMU_NOT_INSTALLED]
  ])('%s: one sentence naming the packages, exit 2, no folder left behind', async (_, extra, sentence) => {
    const r = await run(extra)
    expect(lines(r.stderr).filter((l) => l.startsWith('tunscope: ')), r.stderr).toEqual([`tunscope: ${sentence}`])
    expect(r.code).toBe(2)
    expect(readdirSync(work).filter((name) => name.startsWith('tunscope-usernet-'))).toEqual([])
  })
})
