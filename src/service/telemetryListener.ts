// The host's end of the demo device's telemetry: JSON readings it sends every
// 2 s to UDP port 5000 on its gateway, the host's TUN address. With nobody
// listening the host answers each one with an ICMP port unreachable, the first
// "error" a newcomer sees in the frame list; listening here turns them into a
// reading the UI shows. Any program on this host can send to the port too, so
// every datagram is bounded, checked and counted, and only the last reading is kept.
import dgram from 'node:dgram'

import type { TelemetryCounts, TelemetryReading, TelemetryStatus, TelemetryValue } from '../shared/protocol.js'

/** The demo's readings are about 100 bytes. */
export const MAX_TELEMETRY_BYTES = 1024
/** The device sends one every 2 s; more than this in a second is a flood, counted and not looked at. */
export const MAX_TELEMETRY_PER_SECOND = 10
const MAX_FIELDS = 16
const MAX_NAME_LENGTH = 32
const MAX_TEXT_LENGTH = 64

export interface TelemetryListenerOptions {
  /** The host's TUN address: listening there only, not on every interface. */
  address: string
  port: number
  /** The device's address: datagrams from elsewhere are counted and ignored. */
  deviceIp: string
}

export class TelemetryListener {
  /** Goes up with every datagram and problem: the status is worth sending again. */
  changes = 0
  private readonly counts: TelemetryCounts = { datagrams: 0, readings: 0, notFromDevice: 0, overRate: 0, oversized: 0, notJson: 0, notReading: 0 }
  private last: TelemetryReading | null = null
  private problem: string | null = null
  private socket: dgram.Socket | null = null
  private closed = false
  private windowStart = 0
  private inWindow = 0
  private readonly decoder = new TextDecoder('utf-8', { fatal: true })

  constructor(private readonly options: TelemetryListenerOptions) {}

  /** Resolves once listening, or once it could not (then the status says why in one sentence); never rejects. */
  listen(): Promise<void> {
    const { address, port } = this.options
    const socket = dgram.createSocket('udp4')
    socket.on('message', (datagram, from) => this.receive(datagram, from.address))
    return new Promise((resolve) => {
      socket.on('error', (error: NodeJS.ErrnoException) => {
        this.failed(error)
        socket.close()
        resolve()
      })
      socket.bind({ address, port }, () => {
        if (this.closed) socket.close() // stopped while binding
        else this.socket = socket
        resolve()
      })
    })
  }

  close(): void {
    this.closed = true
    this.socket?.close()
    this.socket = null
  }

  snapshot(): TelemetryStatus {
    const bound = this.socket?.address()
    return { listening: bound ? `${bound.address}:${bound.port}` : null, problem: this.problem, last: this.last, counts: { ...this.counts } }
  }

  private failed(error: NodeJS.ErrnoException): void {
    const { address, port } = this.options
    const where = `UDP port ${port} on ${address}`
    this.problem = error.code === 'EADDRINUSE'
      ? `The demo's telemetry is not shown: ${where} is taken by another program.`
      : error.code === 'EADDRNOTAVAIL'
        ? `The demo's telemetry is not shown: ${address} is not an address of this host.`
        : `The demo's telemetry is not shown: listening on ${where} failed (${error.message}).`
    this.socket = null
    this.changes++
  }

  private receive(datagram: Buffer, from: string): void {
    this.changes++
    this.counts.datagrams++
    if (from !== this.options.deviceIp) return void this.counts.notFromDevice++
    if (this.overRate()) return void this.counts.overRate++
    if (datagram.length > MAX_TELEMETRY_BYTES) return void this.counts.oversized++
    let value: unknown
    try {
      value = JSON.parse(this.decoder.decode(datagram))
    } catch {
      return void this.counts.notJson++
    }
    const fields = readingFields(value)
    if (!fields) return void this.counts.notReading++
    this.counts.readings++
    this.last = { at: Date.now(), fields }
  }

  /** Counts this datagram in the current second; true when it is one too many. */
  private overRate(): boolean {
    const now = performance.now()
    if (now - this.windowStart >= 1000) {
      this.windowStart = now
      this.inWindow = 0
    }
    return ++this.inWindow > MAX_TELEMETRY_PER_SECOND
  }
}

/** The reading's fields, or null unless `value` is an object of a few short-named fields with scalar values. */
function readingFields(value: unknown): [string, TelemetryValue][] | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const entries = Object.entries(value)
  if (entries.length === 0 || entries.length > MAX_FIELDS) return null
  for (const [name, field] of entries) {
    if (name.length === 0 || name.length > MAX_NAME_LENGTH) return null
    const scalar = field === null || typeof field === 'boolean' || (typeof field === 'number' && Number.isFinite(field)) || (typeof field === 'string' && field.length <= MAX_TEXT_LENGTH)
    if (!scalar) return null
  }
  return entries as [string, TelemetryValue][]
}
