// Periodic UDP telemetry to the gateway, as firmware often sends: a small JSON
// reading every 2 s to port 5000. The app and `tunscope serve` listen there on
// the host's TUN address and show the last reading; where nobody listens (the
// `tunscope demo` command with a bridge of its own) the host answers "port
// unreachable", which the device ignores.
import type { Clock, Timer } from '../stack/clock.js'
import type { DeviceStack, UdpPeer } from '../stack/deviceStack.js'

export const TELEMETRY_PORT = 5000
/**
 * The port it sends from: the first of lwIP's local ports (0xc000), as firmware's would be. Not
 * 5000 itself: passt (the user-mode network) sends the host's side from the device's own source
 * port, and from 5000 its datagrams went back to its own socket instead of the host's listener.
 */
export const TELEMETRY_SOURCE_PORT = 0xc000
export const TELEMETRY_EVERY_MS = 2000
const encoder = new TextEncoder()

export class Telemetry {
  sent = 0
  private timer: Timer | null = null

  constructor(
    private readonly stack: DeviceStack,
    private readonly gateway: number,
    private readonly clock: Clock,
    private readonly reading: () => Record<string, number>
  ) {}

  start(): void {
    this.timer = this.clock.after(TELEMETRY_EVERY_MS, () => {
      const to: UdpPeer = { ip: this.gateway, port: TELEMETRY_PORT }
      if (this.stack.sendUdp(to, TELEMETRY_SOURCE_PORT, encoder.encode(JSON.stringify({ seq: this.sent, ...this.reading() })))) this.sent++
      this.start()
    })
  }

  stop(): void {
    this.timer?.cancel()
    this.timer = null
  }
}
