// The host side of the demo: every few seconds a ping, an HTTP GET of the
// device's page and a UDP echo go to the device through the real TUN, so the
// inspector always has something to show. Failures are only counted: the
// device may be booting, or the user may have paused it with a fault burst.
import { execFile } from 'node:child_process'
import dgram from 'node:dgram'
import http from 'node:http'

const EVERY_MS = 3000
const ANSWER_WITHIN_MS = 2500

export class HostTraffic {
  rounds = 0
  answered = 0
  private timer: NodeJS.Timeout | undefined
  private pingMissing = false

  constructor(private readonly deviceIp: string) {}

  start(): void {
    this.timer = setInterval(() => this.round(), EVERY_MS)
  }

  stop(): void {
    clearInterval(this.timer)
  }

  private round(): void {
    this.rounds++
    const answered = (): void => void this.answered++
    if (!this.pingMissing) {
      execFile('ping', ['-n', '-c', '1', '-W', String(ANSWER_WITHIN_MS / 1000), this.deviceIp], (error) => {
        if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') this.pingMissing = true // no ping here: HTTP and UDP still run
        else if (!error) answered()
      })
    }
    const request = http.get({ host: this.deviceIp, path: '/', timeout: ANSWER_WITHIN_MS, agent: false }, (response) => {
      response.resume()
      response.on('end', answered)
    })
    request.on('timeout', () => request.destroy())
    request.on('error', () => {})
    this.udpEcho(answered)
  }

  private udpEcho(answered: () => void): void {
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
    socket.send(`tunscope demo ${this.rounds}`, 7, this.deviceIp)
  }
}
