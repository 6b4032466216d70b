// tunslip6's prefix request over the real `tunscope bridge --framing slip`: a device (a
// Contiki or Zephyr border router, played here on a unix socket this file serves) sends
// '?P' and, with --ipv6-prefix, gets '!P' and the prefix's first 8 bytes, SLIP-escaped, as
// tunslip6 answers; without it, no answer. Either way the request is counted as text and
// never forwarded.
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'

const END = 0xc0
const PREFIX_REQUEST = Uint8Array.of(END, 0x3f, 0x50, END) // END '?' 'P' END

/** Serves one SLIP device on a unix socket: what the bridge sends, as it comes. */
class SlipDevice {
  received = Buffer.alloc(0)
  private connection: net.Socket | null = null
  private constructor(private readonly server: net.Server) {
    server.on('connection', (c) => {
      this.connection = c
      c.on('data', (d: Buffer) => (this.received = Buffer.concat([this.received, d])))
    })
  }

  static async listen(path: string): Promise<SlipDevice> {
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen(path, resolve))
    return new SlipDevice(server)
  }

  send(bytes: Uint8Array): void {
    this.connection!.write(bytes)
  }

  close(): void {
    this.connection?.destroy()
    this.server.close()
  }
}

describe.skipIf(skipNetns)("tunscope bridge --framing slip answers tunslip6's '?P' with --ipv6-prefix", () => {
  let ns: Netns
  let work: string

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-slipprefix-'))
    ns = await createNamespace('tsprefix')
    // Only the bridge's answer may reach the device: no IPv6 router solicitations from the new TUN.
    for (const key of ['all', 'default']) await ns.exec('sysctl', ['-qw', `net.ipv6.conf.${key}.disable_ipv6=1`], { check: true })
  })

  afterAll(async () => {
    await destroyAll()
    rmSync(work, { recursive: true, force: true })
  })

  /** A device on `socket` behind a bridge with `args`: sends '?P' and returns what came back within a second, and the bridge's counters. */
  async function askForPrefix(socket: string, args: string[]) {
    const device = await SlipDevice.listen(join(work, socket))
    const bridge: BridgeProcess = startBridge(ns, ['--framing', 'slip', '--payload', 'ip', '--socket', join(work, socket), '--tun', 'tun0', ...args])
    try {
      await bridge.waitFor((s) => s.link.status === 'connected', 15_000, 'the link')
      device.send(PREFIX_REQUEST)
      const { counters } = await bridge.waitFor((s) => s.counters.textFromDevice === 1, 10_000, 'the request counted as text')
      await new Promise((r) => setTimeout(r, 1000))
      return { answer: Array.from(device.received), counters }
    } finally {
      await bridge.stop()
      device.close()
    }
  }

  it("answers with '!P' and the /64's 8 bytes, escaped as SLIP escapes them (0xC0 and 0xDB inside the prefix)", async () => {
    const { answer, counters } = await askForPrefix('a.sock', ['--ipv6-prefix', 'fd00:c0db::/64'])
    // fd00:c0db:0000:0000 → fd 00 c0 db 00 00 00 00; c0 → db dc, db → db dd
    expect(answer).toEqual([END, 0x21, 0x50, 0xfd, 0x00, 0xdb, 0xdc, 0xdb, 0xdd, 0, 0, 0, 0, END])
    expect(counters.fromDevice.frames).toBe(0) // text is not a frame, and was not forwarded
    expect(counters.toDevice.frames).toBe(1)
    expect(Object.values(counters.framingErrors).every((n) => n === 0)).toBe(true)
  }, 30_000)

  it('says nothing without --ipv6-prefix', async () => {
    const { answer, counters } = await askForPrefix('b.sock', [])
    expect(answer).toEqual([])
    expect(counters.toDevice.frames).toBe(0)
  }, 30_000)
})
