// The setForwards command as the UI sends it, from a sender the engine does not trust: malformed
// shapes dropped, hostile specs refused in one sentence with nothing stored, good ones remembered
// (here with no bridge running; the running user-mode network is test/service/userNetServe).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { EngineService } from '../../src/service/engineService'
import { DEFAULT_SETTINGS, parseUiCommand } from '../../src/shared/protocol'

let dir: string
let file: string
let service: EngineService | undefined

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunscope-forwards-command-'))
  file = join(dir, 'config', 'settings.json')
  service = new EngineService({ settingsFile: file, baseDir: dir, application: 'tunscope test' })
})

afterEach(async () => {
  await service?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** One sentence: a capital, no line break, one full stop at the end. */
const ONE_SENTENCE = /^[A-Z][^\n]*\.$/

describe('setForwards', () => {
  it('drops commands of the wrong shape: not text, too long, missing', () => {
    expect(parseUiCommand({ type: 'setForwards', forwards: 'tcp:8080:80' })).toEqual({ type: 'setForwards', forwards: 'tcp:8080:80' })
    expect(parseUiCommand({ type: 'setForwards', forwards: ['tcp:8080:80'] })).toBeNull()
    expect(parseUiCommand({ type: 'setForwards', forwards: 8080 })).toBeNull()
    expect(parseUiCommand({ type: 'setForwards' })).toBeNull()
    expect(parseUiCommand({ type: 'setForwards', forwards: 'tcp:8080:80 '.repeat(400) })).toBeNull()
  })

  const hostile: [string, string][] = [
    ['junk', '\u0000\u001b[2J;rm -rf /'],
    ['a port out of range', 'tcp:8080:80 tcp:70000:80'],
    ['a protocol it does not know', 'icmp:1:1'],
    ['the same host port twice', 'tcp:8080:80 tcp:8080:81'],
    ['an address that is not IPv4', 'tcp:localhost:8080:80']
  ]
  for (const [what, forwards] of hostile) {
    it(`refuses ${what} in one sentence, storing nothing`, async () => {
      const answer = await service!.handle({ type: 'setForwards', forwards })
      expect(answer?.type).toBe('settingsRejected')
      expect(answer!.message).toMatch(ONE_SENTENCE)
      expect(service!.currentSettings.forwards).toBe(DEFAULT_SETTINGS.forwards)
      expect(() => readFileSync(file)).toThrow(/ENOENT/)
    })
  }

  it('remembers good forwards while no bridge runs, for the next start', async () => {
    expect(await service!.handle({ type: 'setForwards', forwards: 'tcp:8080:80, udp:0.0.0.0:7007:7' })).toBeNull()
    expect(service!.currentSettings.forwards).toBe('tcp:8080:80, udp:0.0.0.0:7007:7')
    expect(JSON.parse(readFileSync(file, 'utf8')).forwards).toBe('tcp:8080:80, udp:0.0.0.0:7007:7')
  })
})
