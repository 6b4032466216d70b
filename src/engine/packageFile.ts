// The same source runs unbundled (tests), bundled into out/cli and inside the
// Electron app, so files shipped with the package (the addon, the built UI)
// are found by walking up to the package root rather than by a fixed path.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The absolute path of `relative` under the nearest folder above `moduleUrl` that has it, or null. */
export function findPackageFile(moduleUrl: string, relative: string): string | null {
  let dir = dirname(fileURLToPath(moduleUrl))
  for (;;) {
    const candidate = join(dir, relative)
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) return null
    dir = parent
  }
}
