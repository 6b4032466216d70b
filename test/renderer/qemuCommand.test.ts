// The QEMU command line the start screen offers to copy.
import { spawnSync } from 'node:child_process'

import { describe, expect, it } from 'vitest'

import { absoluteSocketPath, qemuCommandLine, shellQuote, startCommands } from '../../src/renderer/src/lib/qemuCommand'

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

describe('startCommands', () => {
  const nic = { framing: 'qemu', deviceMac: '' }
  const texts = (transport: string, endpoint: string, settings: { framing: string; deviceMac: string } = nic): Record<string, string> =>
    Object.fromEntries(startCommands({ ...settings, transport }, endpoint).map((c) => [c.key, c.text]))

  it('for a QEMU NIC on a socket Tunscope connects to: -netdev stream,server=on, on Espressif\'s ESP32 (open_eth) and on any machine (e1000)', () => {
    const commands = startCommands({ ...nic, transport: 'unix' }, '/home/me/temp/qemu-nic.sock')
    expect(commands.map((c) => c.key)).toEqual(['esp32', 'e1000'])
    expect(commands.map((c) => c.title)).toEqual([expect.stringMatching(/ESP32.*open_eth/), expect.stringMatching(/Other machines.*virtio-net-pci/)])
    expect(commands[0]!.text).toBe([
      'qemu-system-xtensa -nographic -machine esp32 \\',
      '  -drive file=build/flash_image.bin,if=mtd,format=raw \\',
      '  -netdev stream,id=n0,server=on,addr.type=unix,addr.path=/home/me/temp/qemu-nic.sock \\',
      '  -net nic,model=open_eth,netdev=n0'
    ].join('\n'))
    // the README's tested command, plus QEMU's default MAC, which the bridge sends to until the guest speaks
    expect(commands[1]!.text).toBe([
      '-netdev stream,id=n0,server=on,addr.type=unix,addr.path=/home/me/temp/qemu-nic.sock \\',
      '  -device e1000,netdev=n0,mac=52:54:00:12:34:56'
    ].join('\n'))
  })

  it('server=off when Tunscope listens on the socket', () => {
    const { esp32, e1000 } = texts('listen', '/tmp/n.sock')
    for (const text of [esp32, e1000]) expect(text).toContain('-netdev stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/n.sock \\')
  })

  it('over TCP: QEMU listens when Tunscope connects (-nic socket, -netdev socket: the README\'s), and connects when Tunscope listens', () => {
    expect(texts('tcp', '127.0.0.1:5555')).toEqual({
      esp32: [
        'qemu-system-xtensa -nographic -machine esp32 \\',
        '  -drive file=build/flash_image.bin,if=mtd,format=raw \\',
        '  -nic socket,model=open_eth,listen=127.0.0.1:5555'
      ].join('\n'),
      e1000: '-netdev socket,id=n0,listen=127.0.0.1:5555 \\\n  -device e1000,netdev=n0,mac=52:54:00:12:34:56'
    })
    const { esp32, e1000 } = texts('tcp-listen', '127.0.0.1:5555')
    expect(esp32.split('\n').at(-1)).toBe('  -nic socket,model=open_eth,connect=127.0.0.1:5555')
    // the README's, QEMU's stream netdev connecting
    expect(e1000).toBe('-netdev stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=5555 \\\n  -device e1000,netdev=n0,mac=52:54:00:12:34:56')
    expect(texts('tcp-listen', '[::1]:5555').e1000).toContain('addr.host=::1,addr.port=5555 \\')
  })

  it('gives the e1000 the device MAC of the settings, which the bridge then expects', () => {
    expect(texts('unix', '/tmp/n.sock', { framing: 'qemu', deviceMac: '52:54:00:aa:bb:cc' }).e1000).toContain('-device e1000,netdev=n0,mac=52:54:00:aa:bb:cc')
  })

  it('quotes a path with spaces as one shell word and doubles its commas, in both commands', () => {
    for (const text of Object.values(texts('unix', '/home/me/My Projects/a,b.sock'))) {
      const words = shellWords(text)
      expect(words).toContain('stream,id=n0,server=on,addr.type=unix,addr.path=/home/me/My Projects/a,,b.sock')
    }
  })

  it('breaks lines only between arguments, however long the path', () => {
    const path = `/home/someone/${'very-long-folder-name/'.repeat(8)}qemu-nic.sock`
    for (const text of Object.values(texts('unix', path))) {
      const lines = text.split('\n')
      for (const line of lines.slice(0, -1)) expect(line).toMatch(/ \\$/)
      for (const line of lines.slice(1)) expect(line).toMatch(/^ {2}-/)
    }
  })

  it('for the ESP32 UART tunnel is the README\'s -serial line, QEMU serving the socket, or connecting when Tunscope listens', () => {
    expect(texts('unix', '/tmp/u.sock', { framing: 'esp32', deviceMac: '' })).toEqual({ serial: qemuCommandLine('/tmp/u.sock') })
    expect(texts('listen', '/tmp/u.sock', { framing: 'esp32', deviceMac: '' }).serial.split('\n').at(-1)).toBe('  -serial unix:/tmp/u.sock')
    expect(texts('tcp', 'localhost:5555', { framing: 'esp32', deviceMac: '' }).serial.split('\n').at(-1)).toBe('  -serial tcp:localhost:5555,server,nowait')
  })

  it('for SLIP (a Zephyr board\'s second UART) is -serial unix:PATH,server=on,wait=off, or a client when Tunscope listens', () => {
    expect(texts('unix', '/tmp/slip.sock', { framing: 'slip', deviceMac: '' })).toEqual({ slip: '-serial mon:stdio \\\n  -serial unix:/tmp/slip.sock,server=on,wait=off' })
    expect(texts('listen', '/tmp/slip.sock', { framing: 'slip', deviceMac: '' }).slip).toBe('-serial mon:stdio \\\n  -serial unix:/tmp/slip.sock')
  })

  it('falls back to the UART form for a framing it does not know', () => {
    expect(startCommands({ framing: 'hdlc', transport: 'unix', deviceMac: '' }, '/tmp/u.sock')).toEqual([{ key: 'serial', title: 'Start QEMU like this', text: qemuCommandLine('/tmp/u.sock') }])
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
