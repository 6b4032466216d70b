// The QEMU guest fixture (test/helpers/qemuGuest.ts) against real peers only: two guests
// whose e1000 NICs are joined by `-netdev stream` over a unix socket (one QEMU server=on,
// the other server=off), and one guest's kernel SLIP on ttyS1, read and answered here.
// QEMU runs inside a namespace this file makes; no traffic touches the root namespace.
//
// Measured on the 2-CPU test machine (TCG): a guest boots to its shell in ~6 s, two side
// by side in ~6 s each; the whole file takes ~25 s (two boots, one restart). While other
// suites load the machine (load average 8) boots took 13-22 s and the file ~50 s.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'
import { bootGuest, configureGuestNic, killAllGuests, requireGuest, skipGuest, type Guest } from '../helpers/qemuGuest.js'

const SERVER_IP = '10.77.0.1'
const CLIENT_IP = '10.77.0.2'
const SLIP_GUEST_IP = '10.78.0.1'
const SLIP_PEER_IP = '10.78.0.2' // "this test", at the far end of the guest's ttyS1

// ------------------------------------------------------------------ RFC 1055 SLIP, just enough to read and answer

const END = 0xc0
const ESC = 0xdb
const ESC_END = 0xdc
const ESC_ESC = 0xdd

/** Splits `bytes` into unescaped frames; returns them and the unfinished tail. Empty frames are skipped. */
function slipDecode(bytes: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = []
  let start = 0
  for (let i = bytes.indexOf(END); i >= 0; i = bytes.indexOf(END, start)) {
    const raw = bytes.subarray(start, i)
    start = i + 1
    if (raw.length === 0) continue
    const out: number[] = []
    for (let j = 0; j < raw.length; j++) {
      if (raw[j] !== ESC) out.push(raw[j]!)
      else out.push(raw[++j] === ESC_END ? END : raw[j] === ESC_ESC ? ESC : -1)
    }
    if (out.includes(-1)) throw new Error(`bad SLIP escape in ${raw.toString('hex')}`)
    frames.push(Buffer.from(out))
  }
  return { frames, rest: bytes.subarray(start) }
}

function slipEncode(frame: Buffer): Buffer {
  const out = [END]
  for (const b of frame) out.push(...(b === END ? [ESC, ESC_END] : b === ESC ? [ESC, ESC_ESC] : [b]))
  out.push(END)
  return Buffer.from(out)
}

function inetChecksum(b: Buffer): number {
  let sum = 0
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0)
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  return ~sum & 0xffff
}

/** The echo reply to an IPv4 ICMP echo request (addresses swapped; the IP checksum is unchanged by the swap). */
function echoReply(request: Buffer): Buffer {
  const ihl = (request[0]! & 0x0f) * 4
  const reply = Buffer.from(request)
  request.copy(reply, 12, 16, 20)
  request.copy(reply, 16, 12, 16)
  reply[ihl] = 0 // echo reply
  reply.writeUInt16BE(0, ihl + 2)
  reply.writeUInt16BE(inetChecksum(reply.subarray(ihl)), ihl + 2)
  return reply
}

const ip4 = (b: Buffer, at: number): string => [...b.subarray(at, at + 4)].join('.')

/** The far end of the guest's ttyS1: QEMU connects here as a client, as Zephyr's `-serial unix:` does. */
class SlipPeer {
  readonly frames: Buffer[] = []
  /** Every byte QEMU sent, as it came. */
  raw: Buffer = Buffer.alloc(0)
  private pending: Buffer = Buffer.alloc(0)
  private conn: Socket | undefined
  private constructor(readonly server: Server) {}

  static async listen(path: string): Promise<SlipPeer> {
    const peer = new SlipPeer(createServer((c) => peer.attach(c)))
    await new Promise<void>((resolve, reject) => peer.server.once('error', reject).listen(path, resolve))
    return peer
  }

  private attach(conn: Socket): void {
    this.conn = conn
    conn.on('error', () => {}) // QEMU ends the connection when the guest is killed
    conn.on('data', (b: Buffer) => {
      this.raw = Buffer.concat([this.raw, b])
      const { frames, rest } = slipDecode(Buffer.concat([this.pending, b]))
      this.pending = rest
      for (const f of frames) {
        this.frames.push(f)
        const isEchoRequest = f[0]! >> 4 === 4 && f[9] === 1 && f[(f[0]! & 0x0f) * 4] === 8
        if (isEchoRequest && ip4(f, 16) === SLIP_PEER_IP) conn.write(slipEncode(echoReply(f)))
      }
    })
  }

  close(): void {
    this.conn?.destroy()
    this.server.close()
  }
}

// ------------------------------------------------------------------ the suite

describe.skipIf(skipNetns || skipGuest)('a real QEMU guest (test fixture)', () => {
  let ns: Netns
  let work: string
  let slipPeer: SlipPeer
  let server: Guest // -netdev stream,server=on; its ttyS1 carries SLIP
  let client: Guest // -netdev stream,server=off

  beforeAll(async () => {
    requireNetns()
    requireGuest()
    work = mkdtempSync(join(tmpdir(), 'tunscope-qemu-'))
    ns = await createNamespace('tsqemu')
    const netSocket = join(work, 'net.sock')
    slipPeer = await SlipPeer.listen(join(work, 'slip.sock'))
    // Booted side by side: the client's bootGuest waits for the server's socket to appear.
    ;[server, client] = await Promise.all([
      bootGuest({ name: 'server', ns, nic: { kind: 'stream', socketPath: netSocket, server: true }, slip: { socketPath: join(work, 'slip.sock'), server: false } }),
      bootGuest({ name: 'client', ns, nic: { kind: 'stream', socketPath: netSocket, server: false } })
    ])
    console.log(`[qemuGuest] boot: server ${server.bootMs} ms, client ${client.bootMs} ms (side by side)`)
    await Promise.all([configureGuestNic(server, `${SERVER_IP}/24`), configureGuestNic(client, `${CLIENT_IP}/24`)])
  }, 180_000)

  afterAll(async () => {
    await killAllGuests()
    slipPeer?.close()
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('runs commands over the console with their output and exit status', async () => {
    expect(await server.run('uname -r; echo to-stderr >&2')).toEqual({ output: expect.stringMatching(/^6\.\S+\nto-stderr\n$/), status: 0 })
    expect(await server.run('(exit 3)')).toEqual({ output: '', status: 3 })
    await expect(server.run('sleep 5', { timeoutMs: 500 })).rejects.toThrow(/did not finish within 500 ms/)
    expect((await server.run('echo still usable')).output).toBe('still usable\n') // ^C freed the shell
  })

  it('pings between two guests joined by -netdev stream (server=on ↔ server=off)', async () => {
    const r = await client.run(`ping -c 3 -W 2 ${SERVER_IP}`, { timeoutMs: 20_000 })
    expect(r.output).toMatch(/3 packets transmitted, 3 packets received/)
    expect(r.status).toBe(0)
  })

  it('carries 4 MB of TCP between the guests intact (busybox nc, md5sum on both ends)', async () => {
    // -e: the receiver's stdin is the socket, not /dev/null; otherwise nc half-closes at once
    // and the sending nc quits on that EOF, cutting the transfer short.
    await server.runOk("nc -l -p 5001 -e sh -c 'cat > /tmp/received' & for i in $(seq 50); do netstat -ltn | grep -q :5001 && break; sleep 0.1; done; netstat -ltn | grep -q :5001")
    const sent = await client.runOk('dd if=/dev/urandom of=/tmp/sent bs=64k count=64 2>/dev/null && md5sum < /tmp/sent')
    await client.runOk(`nc ${SERVER_IP} 5001 < /tmp/sent`, { timeoutMs: 60_000 })
    await server.runOk('wait', { timeoutMs: 10_000 }) // the listener exits once the client has closed
    expect(await server.runOk('wc -c < /tmp/received && md5sum < /tmp/received')).toBe(`4194304\n${sent}`)
  }, 90_000)

  it("puts the guest's ttyS1 into N_SLIP: RFC 1055 frames of raw IPv4 on the unix socket, answered back", async () => {
    expect(await server.runOk('slip_attach /dev/ttyS1')).toBe('sl0\n')
    await server.runOk(`ip addr add ${SLIP_GUEST_IP} peer ${SLIP_PEER_IP} dev sl0 && ip link set sl0 up`)
    const ping = await server.run(`ping -c 2 -W 2 ${SLIP_PEER_IP}`, { timeoutMs: 20_000 })
    const requests = slipPeer.frames.filter((f) => f[0]! >> 4 === 4 && f[9] === 1 && ip4(f, 12) === SLIP_GUEST_IP)
    expect(slipPeer.raw[0]).toBe(END) // Linux opens each frame with END too, flushing line noise
    expect(slipPeer.raw[slipPeer.raw.length - 1]).toBe(END)
    expect(requests.length).toBeGreaterThanOrEqual(2)
    expect(inetChecksum(requests[0]!.subarray(0, 20))).toBe(0) // a whole, valid IPv4 header
    expect(ping.output).toMatch(/2 packets transmitted, 2 packets received/) // our SLIP replies reached the guest
  })

  it('restarts a guest: the fresh client reconnects to the server and pings again', async () => {
    await client.restart()
    console.log(`[qemuGuest] restart boot: ${client.bootMs} ms`)
    await configureGuestNic(client, `${CLIENT_IP}/24`)
    const r = await client.run(`ping -c 2 -W 2 ${SERVER_IP}`, { timeoutMs: 20_000 })
    expect(r.output).toMatch(/2 packets received/)
  }, 120_000)
})
