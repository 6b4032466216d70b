// The engine is hosted by the CLI, the Electron main process and the browser
// server alike, so it must not reach into Electron or the DOM; the decoders
// also run in the renderer, so they must not reach into Node.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!)
}

describe('layering', () => {
  it('keeps Electron, React and the DOM out of the engine and the demo device', () => {
    const offending = [...sources('src/engine'), ...sources('src/demo')].flatMap((f) =>
      importsOf(f).filter((m) => /^(electron|react|react-dom|recharts)(\/|$)/.test(m)).map((m) => `${relative(root, f)} imports ${m}`)
    )
    expect(offending).toEqual([])
  })

  it('gives the demo device no way into the bridge engine: the engine never imports it', () => {
    const offending = sources('src/engine').flatMap((f) => importsOf(f).filter((m) => m.includes('/demo/')).map((m) => `${relative(root, f)} imports ${m}`))
    expect(offending).toEqual([])
    for (const f of sources('src/engine')) expect(readFileSync(f, 'utf8'), relative(root, f)).not.toMatch(/\bdemo\b/i)
  })

  it('keeps Node out of the decoders, which the renderer shares', () => {
    const offending = sources('src/engine/decode').flatMap((f) =>
      importsOf(f).filter((m) => m.startsWith('node:') || !m.startsWith('.')).map((m) => `${relative(root, f)} imports ${m}`)
    )
    expect(offending).toEqual([])
    for (const f of sources('src/engine/decode')) expect(readFileSync(f, 'utf8'), relative(root, f)).not.toMatch(/\bBuffer\b|\bprocess\./)
  })
})
