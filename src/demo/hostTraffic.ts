// The host side of the demo: every few seconds a ping, an HTTP GET of the
// device's page and a UDP echo go to the device, through the real TUN or the
// user-mode network's forwarded ports, so the inspector always has something
// to show. Failures are only counted: the device may be booting, or the user
// may have paused it with a fault burst.
import { execFile } from 'node:child_process'
import dgram from 'node:dgram'
import http from 'node:http'

const EVERY_MS = 3000
const ANSWER_WITHIN_MS = 2500

/** Where the host reaches the device's services; null: not reachable that way. */
export interface HostTrafficTargets {
  /** The device's address for ping (none through a user-mode network's forwards). */
  ping: string | null
  /** Its HTTP server (port 80, or a forward to it). */
  http: { host: string; port: number } | null
  /** Its UDP echo (port 7, or a forward to it). */
  udpEcho: { host: string; port: number } | null
}

/** The demo device's services at its own address, as a TUN reaches them. */
export const targetsAt = (deviceIp: string): HostTrafficTargets => ({ ping: deviceIp, http: { host: deviceIp, port: 80 }, udpEcho: { host: deviceIp, port: 7 } })

export class HostTraffic {
  rounds = 0
  answered = 0
  private timer: NodeJS.Timeout | undefined
  private pingMissing = false

  constructor(private targets: HostTrafficTargets) {}

  /** Where to send from the next round on (the user-mode network's forwards changed). */
  retarget(targets: HostTrafficTargets): void {
    this.targets = targets
  }

  start(): void {
    this.timer = setInterval(() => this.round(), EVERY_MS)
  }

  stop(): void {
    clearInterval(this.timer)
  }

  private round(): void {
    this.rounds++
    const answered = (): void => void this.answered++
    const { ping, http: web, udpEcho } = this.targets
    if (ping !== null && !this.pingMissing) {
      execFile('ping', ['-n', '-c', '1', '-W', String(ANSWER_WITHIN_MS / 1000), ping], (error) => {
        if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') this.pingMissing = true // no ping here: HTTP and UDP still run
        else if (!error) answered()
      })
    }
    if (web !== null) {
      const request = http.get({ host: web.host, port: web.port, path: '/', timeout: ANSWER_WITHIN_MS, agent: false }, (response) => {
        response.resume()
        response.on('end', answered)
      })
      request.on('timeout', () => request.destroy())
      request.on('error', () => {})
    }
    if (udpEcho !== null) this.udpEcho(udpEcho, answered)
  }

  private udpEcho(to: { host: string; port: number }, answered: () => void): void {
    const socket = dgram.createSocket('udp4')
    let open = true
    const finish = (): void => {
      if (!open) return
      open = false
      clearTimeout(timeout)
      socket.close()
    }
    const timeout = setTimeout(finish, ANSWER_WITHIN_MS)
    socket.on('error', finish)
    socket.on('message', () => {
      finish()
      answered()
    })
    socket.send(`tunscope demo ${this.rounds}`, to.port, to.host)
  }
}
