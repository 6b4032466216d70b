// The bridge's host side without a TUN: the user-mode network engine (passt, or QEMU's libslirp),
// started and stopped here with the link's addresses and the port forwards, and the connection to
// its socket that UserNetUplink relays frames over.
//
// Forwards change while running. QEMU's libslirp takes them through QMP, and the device's other
// connections carry on. Debian 12's passt (2023-03) takes its forwards on the command line only,
// so it is restarted: the device's connections through it are reset then (callers say so); its
// address, its gateway's MAC and the capture carry on. Either way, new forwards the engine
// refuses (a port in use) leave the old ones in effect and throw the refusal, so nothing is left
// half-configured.
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { UserError } from '../errors.js'
import { createTransport, type Transport } from '../transport/index.js'
import { checkForwards, type Forward } from './forwards.js'
import { engineTitle, startUserNetEngine, type UserNetAddresses, type UserNetEngineName, type UserNetEngineProcess } from './userNetEngine.js'
import type { UserNetUplink } from './userNetUplink.js'

/** The uid and gid the engine drops to when started by root (Debian's nobody and nogroup). */
const NOBODY = 65_534
/** How long a (re)started engine waits to hear the device before its forwards are announced anyway. */
const HEAR_DEVICE_MS = 5_000
/** How often the device is asked meanwhile. */
const ASK_AGAIN_MS = 1_000

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export interface UserNetSideEvents {
  /** The engine is up (again) and the link to it started: its socket and forwards. */
  up(socketPath: string, forwards: readonly Forward[]): void
  /** The link to the engine connected (true) or not (false). */
  connected(up: boolean): void
  /** Make the device send something (an ARP probe's answer) for a restarted engine to hear. */
  askDevice(): void
  /** The engine stopped on its own, or could not start: the bridge cannot go on. */
  fatal(error: Error): void
}

export class UserNetSide {
  private readonly folder: string
  private readonly socketPath: string
  private engineProcess: UserNetEngineProcess | null = null
  private link: Transport | null = null
  private forwardsNow: readonly Forward[]
  private stopping = false
  /** Forward changes, one after the other. */
  private changes: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly uplink: UserNetUplink,
    readonly engine: UserNetEngineName,
    private readonly addresses: UserNetAddresses,
    forwards: readonly Forward[],
    private readonly events: UserNetSideEvents
  ) {
    this.forwardsNow = forwards
    this.folder = mkdtempSync(join(tmpdir(), 'tunscope-usernet-'))
    // Started by root, the engine runs as nobody, who must be able to make its socket here.
    if (process.getuid?.() === 0) chownSync(this.folder, NOBODY, NOBODY)
    this.socketPath = join(this.folder, `${engine}.sock`)
  }

  get forwards(): readonly Forward[] {
    return this.forwardsNow
  }

  get connected(): boolean {
    return this.link?.state.status === 'connected'
  }

  /** Starts the engine in the background; trouble comes as the 'fatal' event. */
  start(): void {
    this.launch(this.forwardsNow, false).catch((error: Error) => this.events.fatal(error))
  }

  /**
   * Changes the forwards to `forwards`: live (libslirp), or by restarting the engine (passt; the
   * device's connections through it are reset). Rejects with a one-sentence UserError, the forwards
   * it had still in effect, if they cannot be had.
   */
  setForwards(forwards: readonly Forward[]): Promise<void> {
    checkForwards(forwards)
    const change = this.changes.then(async () => {
      if (this.stopping) throw new UserError('The user-mode network is stopping; its forwards cannot change now.')
      const before = this.forwardsNow
      const running = this.engineProcess
      if (running?.changeForwards) {
        await running.changeForwards(before, forwards)
        this.forwardsNow = forwards
        this.events.up(this.socketPath, forwards)
        return
      }
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

  /** Starts the engine with `forwards` and its link; `restart`: the device is not new to the bridge, but is to this engine. */
  private async launch(forwards: readonly Forward[], restart: boolean): Promise<void> {
    const engine = await startUserNetEngine(this.engine, this.addresses, this.socketPath, forwards)
    if (this.stopping) return engine.stop()
    this.engineProcess = engine
    void engine.exited.then((code) => {
      if (this.engineProcess === engine && !this.stopping) {
        this.events.fatal(new UserError(`The user-mode network (${engineTitle(this.engine)}) stopped (exit code ${code}); the device is cut off from the host.`))
      }
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
    // asks the device (again every ASK_AGAIN_MS: a busy device on a slow line may miss one) once
    // the link is up, and the forwards are announced when a frame of the device's has gone to the
    // engine (or after HEAR_DEVICE_MS of a silent device).
    if (restart) {
      const deadline = Date.now() + HEAR_DEVICE_MS
      const waitFor = async (done: () => boolean, every?: () => void): Promise<void> => {
        for (let asked = 0; !done() && Date.now() < deadline && !this.stopping; await sleep(10)) {
          if (every && Date.now() - asked >= ASK_AGAIN_MS) {
            asked = Date.now()
            every()
          }
        }
      }
      await waitFor(() => link.state.status === 'connected')
      const heardBefore = uplink.framesToEngine
      await waitFor(() => uplink.framesToEngine !== heardBefore, () => this.events.askDevice())
    }
    // Only now are the forwards in effect (the status lists them, the app links them): a
    // connection before the engine has heard the device would be reset.
    this.forwardsNow = forwards
    this.events.up(this.socketPath, forwards)
  }

  /** Stops the link and the engine, deliberately (no 'fatal'). */
  private async drop(): Promise<void> {
    const { link, engineProcess } = this
    this.link = null
    this.engineProcess = null
    this.uplink.attach(null)
    await link?.stop()
    await engineProcess?.stop()
  }
}
