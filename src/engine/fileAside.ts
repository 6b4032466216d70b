// A file Tunscope cannot read as its own (settings, DHCP leases) is never overwritten: it is moved
// aside under a name that says when, for the person to look at, and a fresh one is started.
import { renameSync } from 'node:fs'

/** Renames `file` to `<file>.bad-<time>`: the new path, or why it could not be moved (the file is then as it was). */
export function moveAside(file: string, now: Date): { aside: string } | { failed: string } {
  const aside = `${file}.bad-${now.toISOString().replace(/[:.]/g, '-')}`
  try {
    renameSync(file, aside)
    return { aside }
  } catch (error) {
    return { failed: (error as Error).message }
  }
}
