// The settings remembered between runs, as JSON in a file of their own. A
// file Tunscope cannot read, or can read only in part, is never overwritten:
// it is renamed aside first, and the user is told where it went. Fields that
// are well-formed are kept; the others start from the defaults.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

import { moveAside } from '../engine/fileAside.js'
import { settingsFields, type BridgeSettings } from '../shared/protocol.js'

export interface LoadedSettings {
  /** The fields the file held in good order (none: no file, or nothing usable). */
  settings: Partial<BridgeSettings>
  /** There was a file, readable or not (else this is a first run). */
  found: boolean
  /** One sentence when the file, or part of it, could not be read: where it is kept now. */
  unreadable: string | null
  /** False when an unreadable file could not be moved aside: writing would destroy it. */
  writable: boolean
}

/** Reads `file`; `now` names the copy an unreadable file is kept as. */
export function loadSettings(file: string, now: Date = new Date()): LoadedSettings {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // No file (ENOTDIR: a file where a folder of its path should be; saving says so).
    if (code === 'ENOENT' || code === 'ENOTDIR') return { settings: {}, found: false, unreadable: null, writable: true }
    return keepAside(file, now, {}, `could not be read (${(error as Error).message})`)
  }
  if (text.trim() === '') return keepAside(file, now, {}, 'could not be read (it is empty)')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return keepAside(file, now, {}, `could not be read (it is not JSON: ${(error as Error).message})`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return keepAside(file, now, {}, 'could not be read (it holds no settings object)')
  const { fields, malformed } = settingsFields(value)
  if (malformed.length > 0) return keepAside(file, now, fields, `had fields Tunscope could not read (${malformed.join(', ')})`, 'those fields start from the defaults')
  return { settings: fields, found: true, unreadable: null, writable: true }
}

/** Writes the settings; returns null, or why they could not be written, in one sentence. */
export function saveSettings(file: string, settings: BridgeSettings): string | null {
  try {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`)
    return null
  } catch (error) {
    return `Could not remember the settings in ${file} (${(error as Error).message}); they apply until you quit.`
  }
}

/** Renames the file to `<file>.bad-<time>`; `what` went wrong with it, and `rest` is what follows for the settings. */
function keepAside(file: string, now: Date, settings: Partial<BridgeSettings>, what: string, rest = 'Tunscope starts from the defaults'): LoadedSettings {
  const moved = moveAside(file, now)
  if ('failed' in moved) {
    return {
      settings,
      found: true,
      unreadable: `The settings file ${file} ${what} and could not be kept aside (${moved.failed}); it is left as it is, ${rest}, and nothing is remembered until you quit.`,
      writable: false
    }
  }
  return { settings, found: true, unreadable: `The settings file ${file} ${what}; it is kept as ${moved.aside}, and ${rest}.`, writable: true }
}
