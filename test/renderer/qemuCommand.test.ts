// The QEMU command line the start screen offers to copy.
import { spawnSync } from 'node:child_process'

import { describe, expect, it } from 'vitest'

import { absoluteSocketPath, qemuCommandLine, shellQuote } from '../../src/renderer/src/lib/qemuCommand'

/** The words a POSIX shell makes of `line` (printed NUL-separated by printf). */
function shellWords(line: string): string[] {
  const r = spawnSync('sh', ['-c', `printf '%s\\0' ${line.replace(/^qemu-system-xtensa/, '').replaceAll('\\\n', ' ')}`], { encoding: 'utf8' })
  expect(r.status).toBe(0)
  return r.stdout.split('\0').slice(0, -1)
}

describe('absoluteSocketPath', () => {
  it('puts a relative path under the engine\'s folder and leaves an absolute one alone', () => {
    expect(absoluteSocketPath('/home/me/fw', 'temp/esp32-uart1.sock')).toBe('/home/me/fw/temp/esp32-uart1.sock')
    expect(absoluteSocketPath('/home/me/fw/', './temp/u.sock')).toBe('/home/me/fw/temp/u.sock')
    expect(absoluteSocketPath('/home/me', '/run/qemu/u.sock')).toBe('/run/qemu/u.sock')
  })
})

describe('qemuCommandLine', () => {
  it('is the README\'s command for the default socket', () => {
    expect(qemuCommandLine('temp/esp32-uart1.sock')).toBe([
      'qemu-system-xtensa -nographic -machine esp32 \\',
      '  -drive file=build/flash_image.bin,if=mtd,format=raw \\',
      '  -serial mon:stdio \\',
      '  -serial unix:temp/esp32-uart1.sock,server,nowait'
    ].join('\n'))
  })

  it('quotes a path with spaces or quotes so the shell passes it as one word', () => {
    for (const path of ['/home/me/My Projects/uart.sock', "/tmp/it's here.sock", '/tmp/$HOME`x`.sock', '~/uart.sock']) {
      expect(shellWords(qemuCommandLine(path)).at(-1)).toBe(`unix:${path},server,nowait`)
    }
  })

  it('breaks lines only between arguments, each line continued by a backslash, however long the path (the start screen shows it as it pastes)', () => {
    const path = `/home/someone/${'very-long-folder-name/'.repeat(8)}esp32-uart1.sock`
    const lines = qemuCommandLine(path).split('\n')
    expect(lines).toHaveLength(4)
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/ \\$/)
    expect(lines.at(-1)).toBe(`  -serial unix:${path},server,nowait`)
    expect(shellWords(qemuCommandLine(path))).toEqual([
      '-nographic', '-machine', 'esp32', '-drive', 'file=build/flash_image.bin,if=mtd,format=raw', '-serial', 'mon:stdio', '-serial', `unix:${path},server,nowait`
    ])
  })

  it('doubles a comma in the path, as QEMU\'s option syntax wants', () => {
    expect(qemuCommandLine('/tmp/a,b.sock')).toContain('-serial unix:/tmp/a,,b.sock,server,nowait')
  })
})

describe('shellQuote', () => {
  it('leaves plain words bare and quotes the rest', () => {
    expect(shellQuote('unix:/tmp/x.sock,server')).toBe('unix:/tmp/x.sock,server')
    expect(shellQuote('a b')).toBe("'a b'")
    expect(shellQuote("it's")).toBe("'it'\\''s'")
    expect(shellQuote('')).toBe("''")
  })
})
