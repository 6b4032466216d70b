// The bridge's host side without a TUN: passt, started and stopped here with the link's addresses
// and the port forwards, and the connection to its socket that UserNetUplink relays frames over.
//
// Forwards change while running by restarting passt: Debian 12's passt (2023-03) takes its
// forwards on the command line only. The device's connections through passt are reset then
// (callers say so); its address, its gateway's MAC and the capture carry on. A restart whose new
// forwards passt refuses (a port in use) brings passt back with the old ones and throws the
// refusal, so nothing is left half-configured.
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { UserError } from '../errors.js'
import { createTransport, type Transport } from '../transport/index.js'
import { checkForwards, type Forward } from './forwards.js'
import { startPasst, type PasstOptions, type PasstProcess } from './passtProcess.js'
import type { UserNetUplink } from './userNetUplink.js'

/** The uid and gid passt drops to when started by root (Debian's nobody and nogroup). */
const NOBODY = 65_534
/** How long a (re)started passt waits to hear the device before its forwards are announced anyway. */
const HEAR_DEVICE_MS = 2_000

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export interface UserNetSideEvents {
  /** passt is up (again) and the link to it started: its socket and forwards. */
  up(socketPath: string, forwards: readonly Forward[]): void
  /** The link to passt connected (true) or not (false). */
  connected(up: boolean): void
  /** Make the device send something (an ARP probe's answer) for a restarted passt to hear. */
  askDevice(): void
  /** passt stopped on its own, or could not start: the bridge cannot go on. */
  fatal(error: Error): void
}

export class UserNetSide {
  private readonly folder: string
  private readonly socketPath: string
  private passt: PasstProcess | null = null
  private link: Transport | null = null
  private forwardsNow: readonly Forward[]
  private stopping = false
  /** Forward changes, one after the other. */
  private changes: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly uplink: UserNetUplink,
    private readonly passtOptions: Omit<PasstOptions, 'socketPath' | 'forwards'>,
    forwards: readonly Forward[],
    private readonly events: UserNetSideEvents
  ) {
    this.forwardsNow = forwards
    this.folder = mkdtempSync(join(tmpdir(), 'tunscope-passt-'))
    // Started by root, passt runs as nobody, who must be able to make its socket here.
    if (process.getuid?.() === 0) chownSync(this.folder, NOBODY, NOBODY)
    this.socketPath = join(this.folder, 'passt.sock')
  }

  get forwards(): readonly Forward[] {
    return this.forwardsNow
  }

  get connected(): boolean {
    return this.link?.state.status === 'connected'
  }

  /** Starts passt in the background; trouble comes as the 'fatal' event. */
  start(): void {
    this.launch(this.forwardsNow, false).catch((error: Error) => this.events.fatal(error))
  }

  /**
   * Restarts passt with `forwards` (the device's connections through it are reset). Rejects with a
   * one-sentence UserError, passt running again with the forwards it had, if they cannot be had.
   */
  setForwards(forwards: readonly Forward[]): Promise<void> {
    checkForwards(forwards)
    const change = this.changes.then(async () => {
      if (this.stopping) throw new UserError('The user-mode network is stopping; its forwards cannot change now.')
      const before = this.forwardsNow
      await this.drop()
      try {
        await this.launch(forwards, true)
      } catch (error) {
        await this.launch(before, true).catch((again: Error) => this.events.fatal(again))
        throw error
      }
    })
    this.changes = change.catch(() => {})
    return change
  }

  async stop(): Promise<void> {
    this.stopping = true
    await this.changes
    await this.drop()
    rmSync(this.folder, { recursive: true, force: true })
  }

  /** Starts passt with `forwards` and its link; `restart`: the device is not new to the bridge, but is to this passt. */
  private async launch(forwards: readonly Forward[], restart: boolean): Promise<void> {
    const passt = await startPasst({ ...this.passtOptions, socketPath: this.socketPath, forwards })
    if (this.stopping) return passt.stop()
    this.passt = passt
    this.forwardsNow = forwards
    void passt.exited.then((code) => {
      if (this.passt === passt && !this.stopping) this.events.fatal(new UserError(`The user-mode network (passt) stopped (exit code ${code}); the device is cut off from the host.`))
    })
    const uplink = this.uplink
    const link = createTransport({ kind: 'unix-client', path: this.socketPath }, uplink, {
      onState: (state) => this.events.connected(state.status === 'connected'),
      onFatal: (error) => this.events.fatal(error)
    })
    this.link = link
    uplink.attach(link)
    link.start()
    // passt resets a forwarded connection to a device it has not heard yet. At the first start the
    // bridge probes until it knows the device's MAC; after a restart it knows it already, so it
    // asks the device once the link is up, and the forwards are announced when the answer has
    // gone to passt (or after HEAR_DEVICE_MS of a silent device).
    if (restart) {
      const deadline = Date.now() + HEAR_DEVICE_MS
      const waitFor = async (done: () => boolean): Promise<void> => {
        while (!done() && Date.now() < deadline && !this.stopping) await sleep(10)
      }
      await waitFor(() => link.state.status === 'connected')
      const heardBefore = uplink.framesToPasst
      this.events.askDevice()
      await waitFor(() => uplink.framesToPasst !== heardBefore)
    }
    this.events.up(this.socketPath, forwards)
  }

  /** Stops the link and passt, deliberately (no 'fatal'). */
  private async drop(): Promise<void> {
    const { link, passt } = this
    this.link = null
    this.passt = null
    this.uplink.attach(null)
    await link?.stop()
    await passt?.stop()
  }
}
