// `tunscope bridge` on a real terminal (tmux, 80 columns): the status line
// fits with its framing errors and drops, capture is said once with its file,
// and Ctrl-C leaves the final counters on clean lines, no "^C" or half a
// status line before them. Skipped without tmux (a failure under
// TUNSCOPE_REQUIRE_NETNS=1).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { TUNSCOPE_BIN } from '../helpers/bridgeProcess.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'

const haveTmux = spawnSync('tmux', ['-V']).status === 0
/** Where root tests are required (.ci/run), a missing tmux fails the suite instead of skipping it. */
const tmuxRequired = process.env.TUNSCOPE_REQUIRE_NETNS === '1'
const SERVER = `tunscope-test-${process.pid}`
const COLUMNS = 80

const tmux = (...args: string[]): string => {
  const r = spawnSync('tmux', ['-L', SERVER, ...args], { encoding: 'utf8', timeout: 10_000 })
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}
const screen = (): string[] => tmux('capture-pane', '-p', '-t', 'bridge').split('\n').filter((line) => line !== '')

async function until(what: string, ok: (lines: string[]) => boolean, timeoutMs = 15_000): Promise<string[]> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const lines = screen()
    if (ok(lines)) return lines
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the screen:\n${lines.join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

describe.skipIf(skipNetns || (!haveTmux && !tmuxRequired))('tunscope bridge in an 80-column terminal', () => {
  let host: Netns
  let work: string

  beforeAll(async () => {
    requireNetns()
    if (!haveTmux) throw new Error('tmux is missing (apt-get install tmux)')
    work = mkdtempSync(join(tmpdir(), 'tunscope-term-'))
    host = await createNamespace('tsterm')
    const socket = join(work, 'uart.sock')
    host.spawn(process.execPath, [TUNSCOPE_BIN, 'demo', '--socket', socket, '--baud', '115200', '--fault', 'junk', '--fault-every', '1'])
    const command = ['ip', 'netns', 'exec', host.name, process.execPath, TUNSCOPE_BIN, 'bridge', '--socket', socket, '--tun', 'tun0', '--pcap', join(work, 'capture.pcapng')]
    tmux('new-session', '-d', '-s', 'bridge', '-x', String(COLUMNS), '-y', '30', `${command.join(' ')}; echo "exit $?"; sleep 60`)
  }, 60_000)

  afterAll(async () => {
    spawnSync('tmux', ['-L', SERVER, 'kill-server'])
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('fits the status line, says capture once, and leaves clean lines on Ctrl-C', async () => {
    await host.exec('ping', ['-n', '-q', '-c', '3', '-i', '0.3', '-W', '2', '192.168.100.2'], { timeoutMs: 30_000 })
    const running = await until('a status line with framing errors', (lines) => /err [1-9]/.test(lines.at(-1) ?? ''))
    const status = running.at(-1)!
    expect(status.length).toBeLessThan(COLUMNS)
    expect(status).toMatch(/^connected · 192\.168\.100\.2 · →.*%.*←.*% · err \d+.* · drops \d+$/)
    expect(running.filter((line) => line.includes('capturing every frame as pcapng to'))).toEqual([`capturing every frame as pcapng to ${join(work, 'capture.pcapng')}`])

    tmux('send-keys', '-t', 'bridge', 'C-c')
    const after = await until('the final counters', (lines) => lines.some((line) => line.startsWith('exit ')))
    expect(after.at(-1)).toBe('exit 0')
    const report = after.findIndex((line) => line.startsWith('to device:'))
    expect(report).toBeGreaterThan(0)
    expect(after[report - 1]).not.toMatch(/·|\^C/) // the status line and the echoed ^C are gone
    expect(after.join('\n')).not.toContain('^C')
    expect(after.slice(report)).toEqual(expect.arrayContaining([expect.stringMatching(/^framing errors: [1-9]/), expect.stringMatching(/^drops: +\d+ /)]))
  })
})
