import { createRequire } from 'node:module'

/** The package version, read from package.json wherever this module is bundled to. */
export const VERSION: string = (() => {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version
  } catch {
    return 'dev'
  }
})()
