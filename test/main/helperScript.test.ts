// build/linux/tunscope-tun-helper, the script pkexec runs as root: it runs only
// `tun create …`, with the app's Electron binary as Node on the bundled CLI.
// Run here in a fake install tree whose "Electron" just reports how it was called.
import { execFile } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
let app = ''

beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'tunscope-helper-'))
  mkdirSync(join(app, 'resources'))
  copyFileSync(new URL('../../build/linux/tunscope-tun-helper', import.meta.url), join(app, 'resources', 'tunscope-tun-helper'))
  writeFileSync(join(app, 'tunscope'), '#!/bin/sh\necho "ELECTRON_RUN_AS_NODE=$ELECTRON_RUN_AS_NODE"\nprintf "%s\\n" "$@"\n')
  chmodSync(join(app, 'tunscope'), 0o755)
})

afterAll(() => rmSync(app, { recursive: true, force: true }))

/** Runs the helper as pkexec would: absolute path, empty environment. */
function helper(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(join(app, 'resources', 'tunscope-tun-helper'), args, { env: {} })
}

describe('tunscope-tun-helper', () => {
  it('is executable and runs the CLI bundle beside it with the Electron binary as Node', async () => {
    const { stdout } = await helper('tun', 'create', '--name', 'tun0', '--user', 'u', '--host-ip', '192.168.100.1/24', '--mtu', '1486')
    expect(stdout.trim().split('\n')).toEqual([
      'ELECTRON_RUN_AS_NODE=1', join(app, 'resources', 'cli', 'tunscope.mjs'),
      'tun', 'create', '--name', 'tun0', '--user', 'u', '--host-ip', '192.168.100.1/24', '--mtu', '1486'
    ])
  })

  it.each([[[]], [['bridge', '--pcap', '/etc/shadow']], [['tun', 'delete']], [['tun']], [['serve']]])('refuses %j', async (args) => {
    await expect(helper(...args)).rejects.toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('only "tun create ..." is allowed') })
  })
})
