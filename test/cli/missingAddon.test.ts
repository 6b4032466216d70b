// Without its TUN addon (src/native/build missing: an install that failed, or
// a build folder removed) `tunscope` says so in one sentence and exits 2; no
// stack trace. The built command is copied into a folder of its own, beside a
// link to this checkout's node_modules but with no src/native/build above it,
// so findPackageFile finds no addon. When run as root, in a private network
// namespace, so that nothing could be created in the machine's own.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { ExecResult } from '../helpers/netns.js'
import { expectRefused, isRoot, PACKAGE_VERSION, REPO_ROOT, runLocal } from './cliHelpers.js'

let copy = ''
let bin = ''
let work = ''

function run(args: readonly string[]): Promise<ExecResult> {
  if (isRoot) return runLocal('unshare', ['--net', '--', process.execPath, bin, ...args], { cwd: work })
  return runLocal(process.execPath, [bin, ...args], { cwd: work })
}

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'tunscope-noaddon-'))
  mkdirSync(join(copy, 'out', 'cli'), { recursive: true })
  copyFileSync(join(REPO_ROOT, 'out', 'cli', 'tunscope.mjs'), join(copy, 'out', 'cli', 'tunscope.mjs'))
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'))
  bin = join(copy, 'out', 'cli', 'tunscope.mjs')
  work = mkdtempSync(join(tmpdir(), 'tunscope-noaddon-work-'))
})

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true })
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('tunscope without its TUN addon', () => {
  it('the copy runs and finds no addon (--version still works)', async () => {
    const r = await run(['--version'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    // no package.json above the copy: the version is unknown, and nothing crashed
    expect([PACKAGE_VERSION, 'dev']).toContain(r.stdout.trim())
  })

  it('bridge: one sentence naming the addon and npm install, exit 2', async () => {
    const r = await run(['bridge', '--socket', join(work, 'uart.sock'), '--tun', 'tsnoaddon0'])
    expectRefused(r, /^tunscope: The TUN addon is not built \(src\/native\/build\/Release\/tunscope_tun\.node is missing\); run npm install .*in the tunscope folder\.$/)
    expect(readdirSync(work)).toEqual([])
  })

  it('tun create: the same sentence, exit 2', async () => {
    const r = await run(['tun', 'create', '--name', 'tsnoaddon0', '--user', 'nobody'])
    expectRefused(r, /^tunscope: The TUN addon is not built .*; run npm install .*in the tunscope folder\.$/)
  })
})
