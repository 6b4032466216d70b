// What the user-mode engines' own suites (passt, QEMU's libslirp) share: a minimal client of the
// engine's socket, the suite's namespaces and folder, and ways to hold a port or a socket path
// and to watch a process end.
import type { ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, afterEach, beforeAll, vi } from 'vitest'

import { ipv4ToBytes } from '../../src/engine/addresses.js'
import { ARP_REPLY, ETHERTYPE_ARP, writeArpRequest } from '../../src/engine/ethernet.js'
import type { EngineProcess } from '../../src/engine/uplink/engineProcess.js'
import { createInternetNamespaces, type InternetNamespaces } from './internetNamespace.js'
import { destroyAll, requireNetns, type Netns } from './netns.js'

/** A minimal QEMU stream client: 4-byte big-endian length, then the frame. */
export class FramedClient {
  private buffered = Buffer.alloc(0)
  readonly frames: Buffer[] = []

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk])
      while (this.buffered.length >= 4) {
        const length = this.buffered.readUInt32BE(0)
        if (this.buffered.length < 4 + length) break
        this.frames.push(this.buffered.subarray(4, 4 + length))
        this.buffered = this.buffered.subarray(4 + length)
      }
    })
  }

  /**
   * Connects, trying again for a while on ECONNREFUSED: passt prints that its socket is bound
   * before it listens on it, and QEMU listens in the background (the bridge's link retries the
   * same way). A probe cannot tell instead: with --one-off, the probe would be passt's one client.
   */
  static async open(path: string): Promise<FramedClient> {
    for (const deadline = Date.now() + 5_000; ; await new Promise((r) => setTimeout(r, 50))) {
      try {
        return await new Promise<FramedClient>((resolve, reject) => {
          const s = connect(path)
          s.once('connect', () => resolve(new FramedClient(s)))
          s.once('error', reject)
        })
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || Date.now() > deadline) throw error
      }
    }
  }

  send(frame: Uint8Array): void {
    const padded = Buffer.alloc(Math.max(60, frame.length))
    padded.set(frame)
    const header = Buffer.alloc(4)
    header.writeUInt32BE(padded.length)
    this.socket.write(Buffer.concat([header, padded]))
  }

  waitFor(match: (frame: Buffer) => boolean, timeoutMs = 5_000): Promise<Buffer> {
    return vi.waitFor(
      () => {
        const hit = this.frames.find(match)
        if (!hit) throw new Error(`no matching frame yet (${this.frames.length} frames)`)
        return hit
      },
      { timeout: timeoutMs, interval: 10 }
    )
  }

  close(): void {
    this.socket.destroy()
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (e) {
    return e as Error
  }
  throw new Error('resolved; a rejection was expected')
}

/** A node process in `ns` holding `port` on 127.0.0.1 (tcp or udp) until the namespace goes. */
export async function occupy(ns: Netns, protocol: 'tcp' | 'udp', port: number): Promise<ChildProcess> {
  const code =
    protocol === 'tcp'
      ? `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('ready'))`
      : `require('dgram').createSocket('udp4').bind(${port}, '127.0.0.1', () => console.log('ready'))`
  const child = ns.spawn(process.execPath, ['-e', code])
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve())
    child.once('exit', (c) => reject(new Error(`listener exited with ${c}`)))
  })
  return child
}

/** A server on the unix socket `path`, as another program serving it would be. */
export function occupySocket(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(path, () => resolve(server))
  })
}

/** Sends the device's ARP request for the gateway on the engine's socket and resolves with the engine's reply. */
export async function gatewayArpReply(socketPath: string, deviceMac: Uint8Array, deviceIp: string, gatewayIp: string): Promise<Buffer> {
  const client = await FramedClient.open(socketPath)
  try {
    const request = new Uint8Array(60)
    writeArpRequest(deviceMac, ipv4ToBytes(deviceIp), ipv4ToBytes(gatewayIp), request, 0)
    client.send(request)
    return await client.waitFor((f) => f.readUInt16BE(12) === ETHERTYPE_ARP && f.readUInt16BE(20) === ARP_REPLY)
  } finally {
    client.close()
  }
}

export interface EngineSuite {
  /** The namespace pair the engine runs in (its device side has the default route engines need). */
  readonly world: InternetNamespaces
  /** A folder anyone may write to (an engine started by root runs as nobody). */
  readonly work: string
  /** A fresh socket path in `work`. */
  socketPath(): string
  /** Stops `engine` after the test. */
  track(engine: EngineProcess): EngineProcess
}

/** The hooks of an engine's suite, inside its describe(): `required` throws when the engine cannot run. */
export function engineSuite(prefix: string, required: () => void): EngineSuite {
  let world: InternetNamespaces | undefined
  let work = ''
  let n = 0
  const started: EngineProcess[] = []
  beforeAll(async () => {
    requireNetns()
    required()
    work = mkdtempSync(join(tmpdir(), `${prefix}-`))
    chmodSync(work, 0o777)
    world = await createInternetNamespaces(prefix)
  })
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()))
  })
  afterAll(async () => {
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })
  return {
    get world() {
      return world!
    },
    get work() {
      return work
    },
    socketPath: () => join(work, `${prefix}-${++n}.sock`),
    track(engine) {
      started.push(engine)
      return engine
    }
  }
}
