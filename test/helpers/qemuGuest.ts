/**
 * A real QEMU x86_64 guest for end-to-end tests: Debian's kernel from /boot, a busybox
 * initramfs (test/fixtures/guest/), an e1000 NIC on a QEMU socket netdev and, optionally,
 * SLIP on its second serial port. Driven over its serial console (ttyS0 on QEMU's stdio).
 *
 *     import { bootGuest, killAllGuests, requireGuest, skipGuest } from '../helpers/qemuGuest'
 *     describe.skipIf(skipNetns || skipGuest)('…', () => {
 *       let guest: Guest
 *       beforeAll(async () => {
 *         requireNetns(); requireGuest()          // fail, not skip, under TUNSCOPE_REQUIRE_NETNS=1
 *         guest = await bootGuest({ name: 'dut', ns, nic: { kind: 'stream', socketPath, server: true } })
 *       }, 180_000)
 *       afterAll(() => killAllGuests())
 *       it('…', async () => { expect((await guest.run(`ip link set ${GUEST_NIC} up`)).status).toBe(0) })
 *     })
 *
 * The console shell (test/fixtures/guest/init.sh) is a plain, non-interactive busybox sh: a
 * command's cd/variables/background jobs persist into the next run() (`wait` waits for them);
 * every command's stdin is /dev/null (busybox `nc -l` then half-closes at once, and the peer
 * nc quits on it: receive with `nc -l -p PORT -e sh -c 'cat > FILE'`); `exit` ends the shell
 * (init starts a new one, the run() times out). In the guest: guestnic (when `nic` is given,
 * down, no address), `slip_attach /dev/ttyS1` (prints sl0), busybox's applets, /tmp on tmpfs.
 *
 * Boot costs ~6 s of one CPU under TCG (KVM is avoided: it hangs the guest on these
 * machines), so share one guest per test file (boot in beforeAll), not one per test.
 *
 * Skip-or-fail follows netns.ts: a missing qemu-system-x86_64, kernel, busybox-static or
 * gcc/libc6-dev skips the suite with the reason, or fails it when TUNSCOPE_REQUIRE_NETNS=1.
 * QEMU never outlives the test worker: killed on kill()/killAllGuests(), on process exit and
 * SIGTERM, and (via setpriv --pdeathsig) when the worker dies without running any handler.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'

import { buildGuestImage, type GuestImage } from '../fixtures/guest/buildInitramfs.js'
import { execFile, netnsRequired, waitForFile, type Netns } from './netns.js'

const QEMU = 'qemu-system-x86_64'
const READY = /TUNSCOPE_GUEST_READY/

// ------------------------------------------------------------------ capability

type GuestCapability = { ok: true; image: GuestImage; qemuVersion: [number, number]; pdeathsig: boolean } | { ok: false; reason: string }

function probeGuest(): GuestCapability {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { ok: false, reason: `the QEMU guest needs x86_64 Linux (${process.platform}/${process.arch})` }
  const q = spawnSync(QEMU, ['--version'], { encoding: 'utf8', timeout: 10_000 })
  const v = /version (\d+)\.(\d+)/.exec(q.stdout ?? '')
  if (q.error || q.status !== 0 || !v) return { ok: false, reason: `${QEMU} not runnable: ${q.error?.message ?? q.stderr} (Debian package qemu-system-x86)` }
  let image: GuestImage
  try {
    image = buildGuestImage()
  } catch (e) {
    return { ok: false, reason: (e as Error).message }
  }
  const setpriv = spawnSync('setpriv', ['--help'], { encoding: 'utf8', timeout: 5_000 })
  return { ok: true, image, qemuVersion: [Number(v[1]), Number(v[2])], pdeathsig: setpriv.status === 0 && setpriv.stdout.includes('--pdeathsig') }
}

const capability = probeGuest()

/** Whether a -netdev stream client can connect again by itself (`reconnect`, QEMU ≥ 8.0); 7.2's cannot. */
export const qemuStreamReconnects: boolean = capability.ok && capability.qemuVersion[0] >= 8

/** Why guest suites are skipped, or undefined when they must run (available, or required). */
export const guestSkipReason: string | undefined = capability.ok || netnsRequired ? undefined : capability.reason
/** For `describe.skipIf(skipGuest)`. */
export const skipGuest: boolean = guestSkipReason !== undefined
if (skipGuest) console.warn(`[qemuGuest] skipping QEMU guest tests: ${guestSkipReason} (set TUNSCOPE_REQUIRE_NETNS=1 to fail instead)`)

/** First line of a guest suite's beforeAll: throws (→ the suite fails) when required but unavailable. */
export function requireGuest(): void {
  if (!capability.ok) throw new Error(`QEMU guest required (TUNSCOPE_REQUIRE_NETNS=1) but unavailable: ${capability.reason}`)
}

// ------------------------------------------------------------------ options

/** The guest NIC's QEMU netdev. `server` is QEMU's side: server=true means QEMU listens. */
export type GuestNic =
  | { kind: 'stream'; socketPath: string; server: boolean } // -netdev stream, unix socket (QEMU ≥ 7.2)
  /** `reconnect`: seconds between a client's attempts to connect again (QEMU ≥ 8.0, see qemuStreamReconnects); 7.2 never does. */
  | { kind: 'stream-tcp'; host: string; port: number; server: boolean; reconnect?: number } // -netdev stream, TCP
  | { kind: 'socket-listen'; host?: string; port: number } // -netdev socket,listen= (older, TCP only)
  | { kind: 'socket-connect'; host: string; port: number } // -netdev socket,connect=

export interface GuestOptions {
  /** Names the guest in messages and seeds its default MAC. */
  name: string
  /** Run QEMU inside this namespace (TCP endpoints are the namespace's); default: this process's. */
  ns?: Netns
  /** e1000 NIC (GUEST_NIC in the guest, down until the test sets it up); default: no NIC. */
  nic?: GuestNic
  /** Default 52:54:00 + three bytes from the name. */
  mac?: string
  /** The guest's ttyS1 on a unix socket, for SLIP (`slip_attach /dev/ttyS1` in the guest). */
  slip?: { socketPath: string; server: boolean }
  memoryMb?: number // default 128
  bootTimeoutMs?: number // default 90 000 (~6 s on an idle machine; 20 s and more on a loaded one)
}

export interface RunResult {
  /** What the command wrote to the console (stdout and stderr), without the markers; \r removed. */
  output: string
  /** Its exit status. */
  status: number
}

export interface Guest {
  readonly name: string
  readonly mac: string
  /** Milliseconds from spawning QEMU to the guest's shell being ready, for the latest (re)start. */
  readonly bootMs: number
  /** Everything the guest wrote to ttyS0 since bootGuest (all restarts), and QEMU's stderr. */
  readonly consoleLog: string
  /** Runs `command` in the guest's shell (stdin /dev/null). On timeout: ^C, then rejects with the console tail. */
  run(command: string, opts?: { timeoutMs?: number }): Promise<RunResult>
  /** run(), rejecting unless the status is 0; resolves with the output. */
  runOk(command: string, opts?: { timeoutMs?: number }): Promise<string>
  /** Resolves when the console (after offset `since`, default: now) matches `re`. */
  waitFor(re: RegExp, opts?: { timeoutMs?: number; since?: number }): Promise<RegExpExecArray>
  /** Stops QEMU (SIGTERM, then SIGKILL) and removes the sockets it served. Idempotent. */
  kill(): Promise<void>
  /**
   * kill(), then boot again with the same options (a fresh guest: nothing configured).
   * QEMU 7.2's client netdevs (server=off, connect=) do not reconnect: after restarting the
   * guest that serves a link, restart its client guest too.
   */
  restart(): Promise<void>
}

// ------------------------------------------------------------------ QEMU command line

/** QEMU's option parser splits on commas; a literal comma is doubled. */
const qemuEscape = (s: string): string => s.replace(/,/g, ',,')
const onOff = (b: boolean): string => (b ? 'on' : 'off')

function netdevOption(nic: GuestNic): string {
  switch (nic.kind) {
    case 'stream':
      return `stream,id=n0,server=${onOff(nic.server)},addr.type=unix,addr.path=${qemuEscape(nic.socketPath)}`
    case 'stream-tcp':
      return `stream,id=n0,server=${onOff(nic.server)},addr.type=inet,addr.host=${nic.host},addr.port=${nic.port}${reconnectOption(nic.reconnect)}`
    case 'socket-listen':
      return `socket,id=n0,listen=${nic.host ?? ''}:${nic.port}`
    case 'socket-connect':
      return `socket,id=n0,connect=${nic.host}:${nic.port}`
  }
}

/** A stream client's reconnect option: `reconnect=` from QEMU 8.0, `reconnect-ms=` from 9.2 (which deprecated the other). */
function reconnectOption(seconds: number | undefined): string {
  if (seconds === undefined) return ''
  if (!qemuStreamReconnects) throw new Error('-netdev stream,reconnect= needs QEMU ≥ 8.0')
  const [major, minor] = capability.ok ? capability.qemuVersion : [0, 0]
  return major > 9 || (major === 9 && minor >= 2) ? `,reconnect-ms=${seconds * 1000}` : `,reconnect=${seconds}`
}

function qemuArgs(o: GuestOptions, mac: string, image: GuestImage): string[] {
  const args = ['-accel', 'tcg', '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot']
  args.push('-m', String(o.memoryMb ?? 128), '-kernel', image.kernel.image, '-initrd', image.initramfs)
  args.push('-append', 'console=ttyS0 quiet panic=-1') // panic=-1 + -no-reboot: a panicking guest ends QEMU
  args.push('-chardev', 'stdio,id=console,signal=off', '-serial', 'chardev:console') // ttyS0; ^C goes to the guest
  if (o.slip) args.push('-serial', `unix:${qemuEscape(o.slip.socketPath)}${o.slip.server ? ',server=on,wait=off' : ''}`) // ttyS1
  if (o.nic) args.push('-netdev', netdevOption(o.nic), '-device', `e1000,netdev=n0,mac=${mac}`)
  else args.push('-net', 'none')
  return args
}

/** Unix socket paths QEMU itself creates (and leaves behind when killed). */
function servedSockets(o: GuestOptions): string[] {
  const paths: string[] = []
  if (o.nic?.kind === 'stream' && o.nic.server) paths.push(o.nic.socketPath)
  if (o.slip?.server) paths.push(o.slip.socketPath)
  return paths
}

/** Unix socket paths QEMU connects to at start (it gives up at once when they are missing). */
function awaitedSockets(o: GuestOptions): string[] {
  const paths: string[] = []
  if (o.nic?.kind === 'stream' && !o.nic.server) paths.push(o.nic.socketPath)
  if (o.slip && !o.slip.server) paths.push(o.slip.socketPath)
  return paths
}

/** The TCP port QEMU connects to at start (7.2 tries once and then stays unconnected), or null. */
function awaitedTcpPort(o: GuestOptions): number | null {
  if ((o.nic?.kind === 'stream-tcp' && !o.nic.server) || o.nic?.kind === 'socket-connect') return o.nic.port
  return null
}

/** Resolves once something listens on TCP `port` in `ns` (this process's namespace without one). */
async function waitForTcpListener(ns: Netns | undefined, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const args = ['-Hltn', `sport = :${port}`]
  for (;;) {
    const r = ns ? await ns.exec('ss', args) : await execFile('ss', args)
    if (r.stdout.trim() !== '') return
    if (Date.now() > deadline) throw new Error(`nothing listens on TCP port ${port} after ${timeoutMs} ms`)
    await sleep(50)
  }
}

// ------------------------------------------------------------------ the guest

const live = new Set<GuestImpl>()
const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const tail = (s: string, n = 3000): string => (s.length > n ? `…${s.slice(-n)}` : s)

class GuestImpl implements Guest {
  readonly name: string
  readonly mac: string
  bootMs = 0
  private log = ''
  private qemuStderr = ''
  private child: ChildProcess | undefined
  private exitPromise: Promise<void> = Promise.resolve()
  private listeners = new Set<() => void>()
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly opts: GuestOptions,
    private readonly image: GuestImage
  ) {
    this.name = opts.name
    this.mac = opts.mac ?? `52:54:00:${createHash('sha1').update(opts.name).digest('hex').slice(0, 6).match(/../g)!.join(':')}`
  }

  get consoleLog(): string {
    return this.qemuStderr ? `${this.log}\n[qemu stderr]\n${this.qemuStderr}` : this.log
  }

  private failure(what: string): Error {
    return new Error(`guest ${this.name}: ${what}\n--- console (tail) ---\n${tail(this.consoleLog)}`)
  }

  private notify(): void {
    for (const l of [...this.listeners]) l()
  }

  async start(): Promise<void> {
    const o = this.opts
    const timeoutMs = o.bootTimeoutMs ?? 90_000
    for (const p of servedSockets(o)) rmSync(p, { force: true })
    for (const p of awaitedSockets(o)) await waitForFile(p, timeoutMs)
    const port = awaitedTcpPort(o)
    if (port !== null) await waitForTcpListener(o.ns, port, timeoutMs)
    const qemu = [QEMU, ...qemuArgs(o, this.mac, this.image)]
    const argv = capability.ok && capability.pdeathsig ? ['setpriv', '--pdeathsig', 'KILL', '--', ...qemu] : qemu
    const since = this.log.length
    const started = Date.now()
    const child = o.ns
      ? o.ns.spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child = child
    live.add(this)
    child.stdin?.on('error', () => {}) // QEMU may be gone before a write lands
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (s: string) => {
      this.log += s
      this.notify()
    })
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (s: string) => {
      this.qemuStderr += s
    })
    this.exitPromise = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.qemuStderr += `[QEMU exited: ${code ?? signal}]\n`
        this.notify()
        resolve()
      })
      child.once('error', (e) => {
        this.qemuStderr += `[spawn failed: ${e.message}]\n`
        this.notify()
        resolve()
      })
    })
    try {
      await this.waitFor(READY, { timeoutMs, since })
    } catch (e) {
      await this.kill()
      throw e
    }
    this.bootMs = Date.now() - started
  }

  waitFor(re: RegExp, { timeoutMs = 30_000, since = this.log.length }: { timeoutMs?: number; since?: number } = {}): Promise<RegExpExecArray> {
    const child = this.child
    const pattern = new RegExp(re.source, re.flags.replace('g', ''))
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = pattern.exec(this.log.slice(since))
        if (m) return done(() => resolve(m))
        if (!child || exited(child) || this.qemuStderr.includes('[spawn failed')) done(() => reject(this.failure(`QEMU ended while waiting for ${re}`)))
      }
      const timer = setTimeout(() => done(() => reject(this.failure(`no ${re} on the console within ${timeoutMs} ms`))), timeoutMs)
      const done = (f: () => void): void => {
        clearTimeout(timer)
        this.listeners.delete(check)
        f()
      }
      this.listeners.add(check)
      check()
    })
  }

  private write(s: string): void {
    this.child?.stdin?.write(s)
  }

  run(command: string, { timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<RunResult> {
    const once = async (): Promise<RunResult> => {
      // The markers are split by quotes in what is sent, so only the shell's output matches
      // them, even if the console echoed the command back.
      const nonce = randomBytes(6).toString('hex')
      const since = this.log.length
      this.write(`echo __B"${nonce}"__; { ${command}\n} </dev/null; echo __E"${nonce}"_$?__\n`)
      let m: RegExpExecArray
      try {
        m = await this.waitFor(new RegExp(`__B${nonce}__\\r?\\n([\\s\\S]*?)__E${nonce}_(\\d+)__`), { timeoutMs, since })
      } catch (e) {
        // ^C ends the command and the guest's shell; init starts another (READY): wait for it,
        // so the next command is not typed into the dying one.
        const readySince = this.log.length
        this.write('\x03')
        await this.waitFor(READY, { timeoutMs: 5_000, since: readySince }).catch(() => undefined)
        throw this.failure(`\`${command}\` did not finish within ${timeoutMs} ms (${(e as Error).message.split('\n')[0]})`)
      }
      return { output: m[1]!.replace(/\r/g, ''), status: Number(m[2]) }
    }
    // One command at a time: the console is one shell.
    const p = this.queue.then(once, once)
    this.queue = p.catch(() => undefined)
    return p
  }

  async runOk(command: string, opts?: { timeoutMs?: number }): Promise<string> {
    const r = await this.run(command, opts)
    if (r.status !== 0) throw this.failure(`\`${command}\` exited ${r.status}:\n${r.output}`)
    return r.output
  }

  async kill(): Promise<void> {
    const child = this.child
    if (child && !exited(child)) {
      child.kill('SIGTERM')
      if (await Promise.race([this.exitPromise.then(() => true), sleep(3_000).then(() => false)]) === false) child.kill('SIGKILL')
    }
    await this.exitPromise
    this.killSync() // the sockets
  }

  /** Last-resort cleanup when the worker exits: no awaiting possible. */
  killSync(): void {
    if (this.child && !exited(this.child)) this.child.kill('SIGKILL')
    for (const p of servedSockets(this.opts)) rmSync(p, { force: true })
    live.delete(this)
  }

  async restart(): Promise<void> {
    await this.kill()
    this.log += `\n--- ${this.name} restarted ---\n`
    await this.start()
  }
}

/** Boots a guest and resolves once its shell is ready; rejects (with the console) on failure. */
export async function bootGuest(opts: GuestOptions): Promise<Guest> {
  if (!capability.ok) throw new Error(`QEMU guest unavailable: ${capability.reason}`)
  const [major, minor] = capability.qemuVersion
  if (opts.nic?.kind.startsWith('stream') && (major < 7 || (major === 7 && minor < 2))) {
    throw new Error(`-netdev stream needs QEMU ≥ 7.2 (have ${major}.${minor})`)
  }
  const guest = new GuestImpl(opts, capability.image)
  await guest.start()
  return guest
}

/** Kills every guest still running (for afterAll). */
export async function killAllGuests(): Promise<void> {
  await Promise.all([...live].map((g) => g.kill()))
}

// vitest's fork pool ends a worker with SIGTERM, which skips 'exit' handlers: cover both, and
// re-raise SIGTERM when nobody else listens for it (netns.ts does the same), keeping its effect.
function killAllSync(): void {
  for (const g of [...live]) g.killSync()
}
process.once('exit', killAllSync)
process.once('SIGTERM', () => {
  killAllSync()
  if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM')
})

/** The guest's e1000, inside QEMU (renamed by the guest's /init). */
export const GUEST_NIC = 'guestnic'

/** The guest's NIC up with `cidr` (e.g. 10.0.0.1/24); resolves once the e1000 reports carrier (autonegotiation, and a stream netdev's peer, take a moment). */
export async function configureGuestNic(guest: Guest, cidr: string): Promise<void> {
  await guest.runOk(`ip addr add ${cidr} dev ${GUEST_NIC} && ip link set ${GUEST_NIC} up`)
  await guest.runOk(`for i in $(seq 100); do grep -q 1 /sys/class/net/${GUEST_NIC}/carrier && break; sleep 0.1; done; grep -q 1 /sys/class/net/${GUEST_NIC}/carrier`)
}

/**
 * udhcpc's script, written into the guest's /tmp: busybox udhcpc only reports a lease;
 * applying it (address, default route) is the script's job, as in any distribution.
 */
const UDHCPC_SCRIPT = [
  '#!/bin/sh',
  '[ "$1" = bound ] || [ "$1" = renew ] || exit 0',
  'echo "lease ip=$ip mask=$mask router=$router dns=$dns lease=$lease serverid=$serverid"',
  'ip addr flush dev "$interface"',
  'ip addr add "$ip/$mask" dev "$interface"',
  '[ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"',
  'exit 0'
].join('\n')

/**
 * busybox udhcpc on GUEST_NIC (up by then), with UDHCPC_SCRIPT applying the lease: resolves with
 * what udhcpc and the script said (the script's line: "lease ip=… mask=… router=… dns=… lease=… serverid=…").
 */
export async function takeLease(guest: Guest): Promise<string> {
  const printf = UDHCPC_SCRIPT.replace(/\\/g, '\\\\').replace(/'/g, `'\\''`).replace(/%/g, '%%').replace(/\n/g, '\\n')
  await guest.runOk(`printf '${printf}\\n' > /tmp/udhcpc.sh && chmod +x /tmp/udhcpc.sh`)
  return guest.runOk(`udhcpc -i ${GUEST_NIC} -n -q -t 5 -T 2 -s /tmp/udhcpc.sh 2>&1`, { timeoutMs: 60_000 })
}
