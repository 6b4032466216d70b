// `tunscope serve` with a settings file it cannot read: one sentence on
// stderr says where the file was kept, and serve runs on from the defaults.
// serve runs in a network namespace of its own when root (unshare), so a
// Start that were wrongly let through could not make a TUN on this machine.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { isRoot, TUNSCOPE_BIN } from './cliHelpers.js'

let work: string
let settingsDir: string

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'tunscope-serve-settings-'))
  settingsDir = join(work, 'config', 'tunscope')
  mkdirSync(settingsDir, { recursive: true })
})

afterEach(() => rmSync(work, { recursive: true, force: true }))

interface Output {
  stdout: string
  stderr: string
}

const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/m

/** Runs `tunscope serve ARGS` until its output satisfies `enough` (or `waitMs`), then stops it. */
async function serve(args: string[], enough: (output: Output) => boolean, waitMs = 15_000): Promise<Output> {
  const command = [TUNSCOPE_BIN, 'serve', '--port', '0', ...args]
  const options = { cwd: work, env: { ...process.env, XDG_CONFIG_HOME: join(work, 'config') } }
  const child = isRoot ? spawn('unshare', ['--net', '--', process.execPath, ...command], options) : spawn(process.execPath, command, options)
  const output: Output = { stdout: '', stderr: '' }
  const exited = new Promise((resolve) => child.once('exit', resolve))
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs)
    const take = (stream: keyof Output) => (d: Buffer): void => {
      output[stream] += d.toString()
      if (!enough(output)) return
      clearTimeout(timer)
      resolve()
    }
    child.stdout.on('data', take('stdout'))
    child.stderr.on('data', take('stderr'))
    child.once('exit', () => resolve())
  })
  child.kill('SIGTERM')
  await exited
  return output
}

describe('tunscope serve and an unreadable settings file', () => {
  it('says in one sentence on stderr where the corrupt file was kept, and serves from the defaults', async () => {
    const text = '{"transport": "unix", "socket": "/home/me/qemu/uart1.sock", "tun": '
    writeFileSync(join(settingsDir, 'settings.json'), text)
    const { stdout, stderr } = await serve([], (output) => URL_LINE.test(output.stdout) && output.stderr.includes('Open the inspector at:'))
    const [aside] = readdirSync(settingsDir)
    expect(aside).toMatch(/^settings\.json\.bad-\S+$/)
    const said = stderr.split('\n')[0]
    expect(said).toMatch(/^tunscope: The settings file \S+ could not be read \(it is not JSON: .+\); it is kept as \S+, and Tunscope starts from the defaults\.$/)
    expect(said).toContain(`file ${join(settingsDir, 'settings.json')} could`)
    expect(said).toContain(`kept as ${join(settingsDir, aside!)},`)
    expect(stdout).toMatch(URL_LINE)
    expect(readFileSync(join(settingsDir, aside!), 'utf8')).toBe(text)
  })

  it('with --start and settings it cannot start from: says both, starts nothing, stores nothing', async () => {
    // hostIp is kept, so the default device address is outside its subnet.
    writeFileSync(join(settingsDir, 'settings.json'), JSON.stringify({ transport: 'unix', hostIp: '10.0.0.1/24', tun: 5 }))
    const { stderr } = await serve(['--start'], ({ stderr }) => stderr.split('\n').length > 3)
    const said = stderr.split('\n')
    expect(said[0]).toMatch(/^tunscope: The settings file .* had fields Tunscope could not read \(tun\); it is kept as .*, and those fields start from the defaults\.$/)
    expect(said[1]).toBe('Open the inspector at:')
    expect(said[2]).toMatch(/^tunscope: Device address 192\.168\.100\.2 is outside 10\.0\.0\.1\/24, so the host would not route to it; /)
    expect(readdirSync(settingsDir)).toEqual([expect.stringMatching(/^settings\.json\.bad-/)])
  })
})

describe('tunscope serve --start and the settings file', () => {
  it('runs --demo --start with the demo for this run only: nothing is written to the settings file', async () => {
    const { stdout, stderr } = await serve(['--demo', '--start'], () => false, 5_000)
    expect(stdout).toMatch(URL_LINE)
    expect(stderr).not.toMatch(/tunscope: /)
    expect(readdirSync(settingsDir)).toEqual([])
  })
})


describe('tunscope serve --dhcp', () => {
  it.each([
    [['--dhcp', '--dhcp-lease', '0'], 'tunscope: --dhcp-lease "0" is out of range; give a whole number from 60 to 4294967295.'],
    [['--dhcp', '--dns', 'x'], 'tunscope: --dns "x" is not an IPv4 address; write it like 192.168.100.2.'],
    [['--dns', '9.9.9.9'], 'tunscope: --dns is for the DHCP server; add --dhcp to turn it on.']
  ])('refuses %j in one sentence before serving anything', async (args, sentence) => {
    const { stdout, stderr } = await serve(args, () => false)
    expect(stderr.trim()).toBe(sentence)
    expect(stdout).toBe('')
    expect(readdirSync(settingsDir)).toEqual([])
  })

  it('runs --demo --dhcp --start for this run only: nothing is written to the settings file', async () => {
    const { stdout, stderr } = await serve(['--demo', '--dhcp', '--dhcp-lease', '120', '--dns', '192.168.100.1', '--start'], () => false, 4_000)
    expect(stdout).toMatch(URL_LINE)
    expect(stderr).not.toMatch(/tunscope: /)
    expect(readdirSync(settingsDir)).toEqual([])
  })
})
