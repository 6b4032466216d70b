// The host side can change under a running bridge: someone deletes the TUN
// (`ip link del`), takes it down, or makes it anew. Once a second the keeper
// compares the kernel's view with the device the bridge holds. A deleted one
// (gone, or its name now on another interface) is let go, since its fd only
// fails every write, and a TUN of that name is attached as soon as there is
// one again. A down one stays attached and is reported: the kernel refuses
// writes to it (EIO) until it is up.
import { getInterface, type InterfaceState, type TunDevice } from '../../native/index.js'
import { openHostTun, type HostTun, type TunPlan } from './tunSetup.js'

export type TunStatus = 'up' | 'down' | 'missing'

export interface TunKeeperEvents {
  /** A device to use: the first one, or one attached again after the old one went away. */
  attached(device: TunDevice, state: InterfaceState, created: boolean): void
  /** The device went away; the bridge must stop using it (it is closed already). */
  detached(): void
  status(status: TunStatus, problem: string | null): void
}

const CHECK_EVERY_MS = 1000

export class TunKeeper {
  device: TunDevice | null = null
  status: TunStatus = 'up'
  /** Why the TUN is not usable, in one sentence, or null. */
  problem: string | null = null
  /** The held device as the kernel showed it at the last look (stats read this, not the kernel again). */
  state: InterfaceState | null = null
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly plan: TunPlan,
    first: HostTun,
    private readonly events: TunKeeperEvents
  ) {
    this.use(first)
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS)
  }

  /** The device's read side failed (EBADFD once it is deleted): let it go now rather than at the next check. */
  readFailed(code: string): void {
    this.lose(`${this.plan.name} failed (${code}); packets from the device are dropped until a ${this.plan.kind.toUpperCase()} named ${this.plan.name} is back.`)
  }

  close(): void {
    clearInterval(this.timer)
    this.device?.close()
    this.device = null
  }

  check(): void {
    const state = getInterface(this.plan.name)
    if (this.device === null) {
      if (state !== null && state.kind === this.plan.kind) this.reattach()
      return
    }
    if (state === null || state.index !== this.state?.index) {
      this.lose(`${this.plan.name} was deleted; packets from the device are dropped until a ${this.plan.kind.toUpperCase()} named ${this.plan.name} is back.`)
      if (state !== null) this.check()
      return
    }
    this.state = state
    if (state.up) this.report('up', null)
    else this.report('down', `${this.plan.name} is down; the kernel refuses packets from the device until it is up again.`)
  }

  private reattach(): void {
    let tun: HostTun
    try {
      tun = openHostTun(this.plan)
    } catch (error) {
      this.report('missing', (error as Error).message)
      return
    }
    this.use(tun)
    this.check()
  }

  private use(tun: HostTun): void {
    const state = getInterface(this.plan.name)!
    this.device = tun.device
    this.state = state
    this.events.attached(tun.device, state, tun.created)
  }

  private lose(problem: string): void {
    if (this.device === null) return
    this.device.close()
    this.device = null
    this.state = null
    this.events.detached()
    this.report('missing', problem)
  }

  private report(status: TunStatus, problem: string | null): void {
    if (status === this.status && problem === this.problem) return
    this.status = status
    this.problem = problem
    this.events.status(status, problem)
  }
}
