// Transport.setReading: a transport told to stop reading leaves the peer's bytes in the kernel, so
// the peer waits on its full socket (passt does, while the device's queue is full), and once told
// to read again it gets every byte, in order. Real unix sockets both ways, and a real tty (a pty
// socat makes, its other end on a unix socket the test writes to).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createTransport, type StreamReceiver, type Transport, type TransportOptions } from '../../src/engine/transport/index.js'
import { LineLog } from '../cli/cliHelpers.js'
import { netnsRequired } from '../helpers/netns.js'

/** More than the kernel holds for a unix socket or a pty plus socat's buffer, so a peer that is not read from blocks. */
const SENT = 8 * 1024 * 1024

const socatProblem = ((): string | undefined => {
  const r = spawnSync('socat', ['-V'], { encoding: 'utf8', timeout: 5_000 })
  return r.error || r.status !== 0 ? `socat is not runnable (apt-get install socat): ${r.error?.message ?? r.stderr}` : undefined
})()
if (socatProblem && !netnsRequired) console.warn(`[transport] skipping the serial port's setReading test: ${socatProblem}`)

/** What the transport read: its byte count and running hash. */
class CountingReceiver implements StreamReceiver {
  received = 0
  /** Called with the first bytes read, from inside the read. */
  onFirstBytes = (): void => {}
  private readonly hash = createHash('sha256')
  private readonly buffer = new Uint8Array(64 * 1024)
  space(): Uint8Array {
    return this.buffer
  }
  commit(n: number): void {
    this.push(this.buffer.subarray(0, n))
  }
  push(chunk: Uint8Array): void {
    if (this.received === 0) this.onFirstBytes()
    this.received += chunk.length
    this.hash.update(chunk)
  }
  reset(): void {}
  digest(): string {
    return this.hash.digest('hex')
  }
}

const pattern = (): Buffer => {
  const bytes = Buffer.alloc(SENT)
  for (let i = 0; i < SENT; i += 4) bytes.writeUInt32BE((i * 2654435761) >>> 0, i)
  return bytes
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function until(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !done(); await sleep(20)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
  }
}

describe('Transport.setReading(false) makes the peer wait; setReading(true) delivers every byte', () => {
  let work: string
  let transport: Transport | undefined
  let server: net.Server | undefined
  let socat: ChildProcess | undefined
  const peers: net.Socket[] = []

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'tunscope-reading-'))
  })

  afterEach(async () => {
    await transport?.stop()
    transport = undefined
    for (const p of peers.splice(0)) p.destroy()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    server = undefined
    socat?.kill('SIGKILL')
    socat = undefined
    rmSync(work, { recursive: true, force: true })
  })

  /**
   * Pauses the transport in its first read, checks that the peer's writes back up
   * and nothing more is read, then reads again and expects all SENT bytes, in order.
   */
  async function pausedThenResumed(options: TransportOptions, peer: () => Promise<net.Socket>): Promise<void> {
    const receiver = new CountingReceiver()
    transport = createTransport(options, receiver, { onState: () => {}, onFatal: (error) => { throw error } })
    transport.start()
    const writer = await peer()
    const bytes = pattern()
    let flushed = false
    await until(() => transport!.state.status === 'connected', 'the connection')
    // Paused from inside the first read, as the bridge pauses from inside a batch.
    receiver.onFirstBytes = () => transport!.setReading(false)
    writer.write(bytes, () => (flushed = true))
    await until(() => receiver.received > 0, 'the first bytes')
    const whilePaused = receiver.received
    await sleep(500)
    expect(receiver.received).toBe(whilePaused)
    expect(whilePaused).toBeLessThan(SENT)
    expect(flushed).toBe(false) // the peer waits on its full socket
    expect(writer.writableLength).toBeGreaterThan(0)
    transport.setReading(true)
    await until(() => receiver.received === SENT, `all ${SENT} bytes (got ${receiver.received})`)
    expect(receiver.digest()).toBe(createHash('sha256').update(bytes).digest('hex'))
  }

  /** A unix socket listening at `path` whose first connection is the peer. */
  function listenFor(path: string): () => Promise<net.Socket> {
    const connected = new Promise<net.Socket>((resolve) => {
      server = net.createServer((socket) => {
        peers.push(socket)
        resolve(socket)
      })
      server.listen(path)
    })
    return () => connected
  }

  it('for a unix-socket client (QEMU listening; passt)', async () => {
    const path = join(work, 'listening.sock')
    const peer = listenFor(path)
    await until(() => server!.listening, 'the listener')
    await pausedThenResumed({ kind: 'unix-client', path }, peer)
  })

  it('for a unix-socket listener (QEMU connecting)', async () => {
    const path = join(work, 'ours.sock')
    await pausedThenResumed({ kind: 'unix-server', path }, async () => {
      for (;;) {
        const socket = net.connect(path)
        const ok = await new Promise<boolean>((resolve) => {
          socket.once('connect', () => resolve(true))
          socket.once('error', () => resolve(false))
        })
        if (ok) {
          peers.push(socket)
          return socket
        }
        await sleep(20)
      }
    })
  })

  it.skipIf(socatProblem !== undefined && !netnsRequired)('for a serial port (a pty)', async () => {
    if (socatProblem) throw new Error(socatProblem)
    const tty = join(work, 'tty')
    const path = join(work, 'tty.sock')
    const peer = listenFor(path)
    await until(() => server!.listening, 'the listener')
    socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${tty}`, `unix-connect:${path}`], { stdio: ['ignore', 'ignore', 'pipe'] })
    await new LineLog(socat.stderr!).waitFor(/starting data transfer loop/, 'socat', 0, 10_000)
    await pausedThenResumed({ kind: 'serial', path: tty, baud: 115200 }, peer)
  })
})
