/**
 * A "device side" namespace with a way out: a veth to a second namespace playing the internet,
 * addresses from 10.77.0.0/24 and a default route through the internet side. User-mode engines
 * such as passt refuse to start without an interface holding a default route, and this is the
 * smallest world in which one does. Both namespaces are created here (test/helpers/netns.ts),
 * so nothing touches the root namespace; destroyAll() removes them with the veth.
 *
 *     const world = await createInternetNamespaces('tspasst')
 *     world.device.spawn('passt', [...])            // passt sees uplink0 with a default route
 *     world.internet.spawn(python, ['-m', 'http.server', '--bind', world.internetIp, '80'])
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { expect } from 'vitest'

import { cliForNobody } from '../cli/cliHelpers'
import { createNamespace, requireNetns, skipNetns, type Netns } from './netns'

export interface InternetNamespaces {
  /** Where the bridge (and the user-mode engine) run: uplink0 with deviceSideIp, default route via internetIp. */
  readonly device: Netns
  /** The outside world: isp0 with internetIp; anything listening there is "on the internet". */
  readonly internet: Netns
  readonly deviceSideIp: string
  readonly internetIp: string
  readonly prefixLength: number
  /** The interface names in each namespace. */
  readonly deviceInterface: string
  readonly internetInterface: string
}

export const DEVICE_SIDE_IP = '10.77.0.2'
export const INTERNET_IP = '10.77.0.1'

/** Creates the pair of namespaces (`<prefix>dev…`, `<prefix>net…`) joined by a veth. */
export async function createInternetNamespaces(prefix = 'tsinet'): Promise<InternetNamespaces> {
  const device = await createNamespace(`${prefix}dev`)
  const internet = await createNamespace(`${prefix}net`)
  const deviceInterface = 'uplink0'
  const internetInterface = 'isp0'
  const check = { check: true } as const
  // Created inside the device namespace, the peer moved straight into the internet namespace.
  await device.exec('ip', ['link', 'add', deviceInterface, 'type', 'veth', 'peer', 'name', internetInterface, 'netns', internet.name], check)
  await device.exec('ip', ['addr', 'add', `${DEVICE_SIDE_IP}/24`, 'dev', deviceInterface], check)
  await internet.exec('ip', ['addr', 'add', `${INTERNET_IP}/24`, 'dev', internetInterface], check)
  await device.exec('ip', ['link', 'set', deviceInterface, 'up'], check)
  await internet.exec('ip', ['link', 'set', internetInterface, 'up'], check)
  await device.exec('ip', ['route', 'add', 'default', 'via', INTERNET_IP], check)
  return { device, internet, deviceSideIp: DEVICE_SIDE_IP, internetIp: INTERNET_IP, prefixLength: 24, deviceInterface, internetInterface }
}

/** Whether passt runs here (Debian package passt): the user-mode network's suites need it. */
export const HAS_PASST = spawnSync('passt', ['--version']).error === undefined
/** Skip a user-mode network suite without namespaces or passt, unless .ci/run requires it. */
export const skipUserNet = skipNetns || (!HAS_PASST && process.env.TUNSCOPE_REQUIRE_NETNS !== '1')
/** Whether QEMU runs here (Debian package qemu-system-x86), for its libslirp (--user-net-engine slirp). */
export const HAS_QEMU = spawnSync('qemu-system-x86_64', ['--version']).error === undefined
/** Skip a suite on `engine` without namespaces or that engine, unless .ci/run requires it. */
export const skipUserNetEngine = (engine: 'passt' | 'slirp'): boolean =>
  skipNetns || (!(engine === 'passt' ? HAS_PASST : HAS_QEMU) && process.env.TUNSCOPE_REQUIRE_NETNS !== '1')

/**
 * The first steps of a suite whose tunscope runs as nobody in the device side of an internet pair:
 * the checks that it can run, a copy of the CLI nobody can read, and a folder nobody may write.
 */
export async function nobodyWithInternet(prefix: string, engine: 'passt' | 'slirp' = 'passt'): Promise<{ cli: { bin: string; cleanup(): void }; work: string; world: InternetNamespaces }> {
  requireNetns()
  if (engine === 'passt') expect(HAS_PASST, 'passt is not installed (Debian package passt)').toBe(true)
  else expect(HAS_QEMU, 'QEMU is not installed (Debian package qemu-system-x86)').toBe(true)
  const cli = cliForNobody()
  if ('problem' in cli) throw new Error(cli.problem)
  const work = mkdtempSync(join(tmpdir(), `tunscope-${prefix}-`))
  chmodSync(work, 0o777) // nobody writes its capture and settings here
  return { cli, work, world: await createInternetNamespaces(prefix) }
}
