// build/linux/tunscope-tun-helper, the script pkexec runs as root: it runs only
// `tun create …`, with the app's Electron binary as Node on the bundled CLI.
// Run here in a fake install tree whose "Electron" just reports how it was called.
import { execFile } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
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

describe('tunscope-tun-helper in front of the real CLI', () => {
  let real = ''

  // "Electron" is Node on this checkout's CLI bundle; as root it runs in a
  // network namespace of its own, so whatever the CLI might do stays there.
  beforeAll(() => {
    real = mkdtempSync(join(tmpdir(), 'tunscope-helper-real-'))
    mkdirSync(join(real, 'resources', 'cli'), { recursive: true })
    copyFileSync(new URL('../../build/linux/tunscope-tun-helper', import.meta.url), join(real, 'resources', 'tunscope-tun-helper'))
    symlinkSync(new URL('../../out/cli/tunscope.mjs', import.meta.url).pathname, join(real, 'resources', 'cli', 'tunscope.mjs'))
    writeFileSync(join(real, 'tunscope'), `#!/bin/sh\nif [ "$(id -u)" = 0 ]; then exec unshare --net -- '${process.execPath}' "$@"; fi\nexec '${process.execPath}' "$@"\n`)
    chmodSync(join(real, 'tunscope'), 0o755)
  })

  afterAll(() => rmSync(real, { recursive: true, force: true }))

  it.each([
    [['--user', 'root']],
    [['--user', 'me', '--user', 'root']],
    [['--user', 'nobody', '--host-ip', '128.0.0.1/1']],
    [['--user', 'nobody', '--host-ip', '127.0.0.2/8']]
  ])('passes on the refusal of tun create %j: exit 2, one sentence', async (args) => {
    const refused = run(join(real, 'resources', 'tunscope-tun-helper'), ['tun', 'create', '--name', 'tun0', ...args], { env: {} })
    await expect(refused).rejects.toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^tunscope: --(user|host-ip) [^\n]+\n$/) })
  })
})
