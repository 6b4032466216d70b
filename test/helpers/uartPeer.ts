// A stand-in for QEMU's `-serial unix:PATH,server` in tests: the bridge
// connects to it and the test plays the firmware on the raw byte stream.
import net from 'node:net'

import { formatMacBytes } from '../../src/engine/addresses.js'
import { RecordReader } from '../cli/cliHelpers.js'
import { DEVICE_IP, ethernet, GATEWAY_MAC, HOST_IP, icmpEcho, ipv4, record } from './frames.js'

export function echoRequestFrom(mac: Uint8Array, seq: number): Uint8Array {
  return ethernet(GATEWAY_MAC, mac, 0x0800, ipv4(DEVICE_IP, HOST_IP, 1, icmpEcho(8, 0x7a7a, seq, new TextEncoder().encode(`hostile peer ${seq}`)), seq))
}

export const isEchoReply = (seq: number) => (f: Buffer): boolean =>
  f.length >= 42 && f.readUInt16BE(12) === 0x0800 && f[23] === 1 && f[34] === 0 && f.readUInt16BE(38) === 0x7a7a && f.readUInt16BE(40) === seq

/** The device end: records the bridge sends are collected in `reader`. */
export class PeerServer {
  readonly reader = new RecordReader()
  socket: net.Socket | null = null
  /** Bytes written to the bridge so far. */
  sent = 0
  private readonly server: net.Server
  private readonly connected: Promise<net.Socket>

  constructor(readonly path: string, readData = true) {
    let resolve!: (s: net.Socket) => void
    this.connected = new Promise((r) => (resolve = r))
    this.server = net.createServer((socket) => {
      this.socket = socket
      socket.on('error', () => {})
      if (readData) socket.on('data', (chunk: Buffer) => this.reader.push(chunk))
      else socket.pause()
      resolve(socket)
    })
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve))
  }

  /** Resolves once the socket takes more (so a flood never piles up in this process). */
  async send(bytes: Uint8Array): Promise<void> {
    this.sent += bytes.length
    if (!this.socket!.write(bytes)) await new Promise((r) => this.socket!.once('drain', r))
  }

  connection(): Promise<net.Socket> {
    return this.connected
  }

  close(): void {
    this.socket?.destroy()
    this.server.close()
  }
}

/** Pings the host as `mac` until the first reply (a real device retries too), then `count` more, each answered. */
export async function pingAs(peer: PeerServer, mac: Uint8Array, firstSeq: number, count: number): Promise<Buffer[]> {
  const send = (frame: Uint8Array): Promise<void> => peer.send(record(frame))
  let seq = firstSeq
  for (let attempt = 0; ; attempt++) {
    await send(echoRequestFrom(mac, seq))
    const reply = await peer.reader.waitFor(isEchoReply(seq), `echo reply ${seq}`, 0, 300).catch(() => undefined)
    if (reply) break
    if (attempt === 20) throw new Error(`no echo reply for ${formatMacBytes(mac)} after 20 tries`)
    seq++
  }
  const replies: Buffer[] = []
  for (let i = 1; i <= count; i++) {
    await send(echoRequestFrom(mac, seq + i))
    replies.push(await peer.reader.waitFor(isEchoReply(seq + i), `echo reply ${seq + i}`))
  }
  return replies
}
