// Runs `tunscope tun create` as root through pkexec, for the current OS user
// only. The request comes from the renderer, so it is checked strictly here and
// again by the helper; nothing passes through a shell.
import { execFile } from 'node:child_process'
import { userInfo } from 'node:os'
import { join } from 'node:path'

import { parseHelperHostIp } from '../cli/tunArguments.js'
import { parseIntegerInRange, parseInterfaceName } from '../engine/addresses.js'
import type { TunCreateResult } from '../shared/desktopApi.js'

export interface TunCreateArgs {
  name: string
  hostIp: string
  mtu: number
  tap: boolean
}

/** The request's checked fields; its `user` and `commandLine` are ignored. Null when anything is off. */
export function parseTunCreateRequest(value: unknown): TunCreateArgs | null {
  if (typeof value !== 'object' || value === null) return null
  const { name, hostIp, mtu, tap } = value as Record<string, unknown>
  if (typeof name !== 'string' || typeof hostIp !== 'string' || typeof mtu !== 'number' || typeof tap !== 'boolean') return null
  try {
    const cidr = parseHelperHostIp(hostIp)
    return { name: parseInterfaceName(name), hostIp: `${cidr.address}/${cidr.prefixLength}`, mtu: parseIntegerInRange(mtu, 68, 65535, 'MTU'), tap }
  } catch {
    return null
  }
}

export interface HelperLocation {
  packaged: boolean
  /** process.resourcesPath */
  resourcesPath: string
  /** app.getAppPath(): the repository when not packaged. */
  appPath: string
  /** The Electron binary, which runs the CLI as Node. */
  execPath: string
  /** $APPIMAGE: set when running from an AppImage. */
  appImage: string | undefined
}

/**
 * What pkexec runs, before `tun create …`: the packaged helper script (whose
 * path the polkit action names), or in development the Electron binary as Node
 * on the repository's CLI bundle (pkexec clears the environment, hence env).
 */
export function helperCommand(where: HelperLocation): string[] {
  if (where.packaged) return [join(where.resourcesPath, 'tunscope-tun-helper')]
  return ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', where.execPath, join(where.appPath, 'out', 'cli', 'tunscope.mjs')]
}

const APPIMAGE_REFUSED =
  "The AppImage cannot run its helper as root (root may not enter the AppImage's mount); install the .deb, or run the tun create command in a terminal."

export async function createTun(args: TunCreateArgs, where: HelperLocation): Promise<TunCreateResult> {
  if (where.packaged && where.appImage) return { ok: false, reason: 'unavailable', message: APPIMAGE_REFUSED }
  const argv = [
    ...helperCommand(where), 'tun', 'create',
    '--name', args.name, '--user', userInfo().username, '--host-ip', args.hostIp, '--mtu', String(args.mtu),
    ...(args.tap ? ['--tap'] : [])
  ]
  const { code, stderr } = await run('pkexec', argv)
  return pkexecResult(code, stderr)
}

/** Resolves with the exit code, the errno name when pkexec could not be started, or null when a signal killed it. */
function run(file: string, args: string[]): Promise<{ code: number | string | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, (error, _stdout, stderr) => resolve({ code: error ? (error.code ?? null) : 0, stderr }))
  })
}

/** pkexec's own exit codes: 126 the user dismissed the dialog, 127 not authorized (or no agent). */
function pkexecResult(code: number | string | null, stderr: string): TunCreateResult {
  if (code === 0) return { ok: true }
  if (code === 'ENOENT') {
    return { ok: false, reason: 'unavailable', message: 'pkexec is not installed (Debian package "pkexec"); run the tun create command in a terminal instead.' }
  }
  if (code === 126) return { ok: false, reason: 'cancelled', message: 'The password prompt was dismissed; nothing was changed.' }
  if (code === 127) {
    return { ok: false, reason: 'unavailable', message: 'Not authorized, or no polkit authentication agent is running; run the tun create command in a terminal instead.' }
  }
  const firstLine = stderr.split('\n').find((line) => line.trim() !== '')?.trim().replace(/^tunscope: /, '')
  const why = typeof code === 'number' ? `exit code ${code}` : (code ?? 'killed by a signal')
  return { ok: false, reason: 'failed', message: firstLine ?? `The helper failed (${why}) without saying why.` }
}
