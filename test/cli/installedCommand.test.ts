// The command as `npm link` installs it: a `tunscope` link on PATH to this
// checkout's bin/tunscope.mjs, run from another folder with a PATH like
// sudo's secure_path. It starts well under a second and writes nothing into
// the checkout (no build, no npm).
import { mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { PACKAGE_VERSION, REPO_ROOT, TUNSCOPE_BIN, runLocal } from './cliHelpers.js'

let linkDir = ''
let elsewhere = ''

/** Every file under the checkout's build outputs with its modification time and size. */
function buildFiles(): Map<string, string> {
  const files = new Map<string, string>()
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.isFile()) {
        const s = statSync(path)
        files.set(path, `${s.mtimeMs} ${s.size}`)
      }
    }
  }
  for (const dir of ['out', join('src', 'native', 'build')]) walk(join(REPO_ROOT, dir))
  return files
}

beforeAll(() => {
  linkDir = mkdtempSync(join(tmpdir(), 'tunscope-link-'))
  symlinkSync(TUNSCOPE_BIN, join(linkDir, 'tunscope'))
  elsewhere = mkdtempSync(join(tmpdir(), 'tunscope-elsewhere-'))
})

afterAll(() => {
  for (const dir of [linkDir, elsewhere]) if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('tunscope installed on PATH by npm link', () => {
  it('--version from another folder: the version, well under a second, nothing written into the checkout', async () => {
    const before = buildFiles()
    // only the link's folder, node's and sudo's secure_path: nothing from the checkout or node_modules/.bin
    const path = `${linkDir}:${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`
    const times: number[] = []
    for (let i = 0; i < 3; i++) {
      const start = performance.now()
      const r = await runLocal('tunscope', ['--version'], { cwd: elsewhere, env: { PATH: path } })
      times.push(performance.now() - start)
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe(`${PACKAGE_VERSION}\n`)
      expect(r.code).toBe(0)
    }
    expect(Math.min(...times)).toBeLessThan(1000)
    expect(buildFiles()).toEqual(before)
    expect(readdirSync(elsewhere)).toEqual([])
  })
})
