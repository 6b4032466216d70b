// tshark for the capture tests, with the project's skip-or-fail rule:
// - tshark runnable                        → the tshark tests run;
// - missing                                → they are skipped, the reason is printed and put in the suite title;
// - missing and TUNSCOPE_REQUIRE_NETNS=1   → they run and fail with the reason (CI installs tshark).
import { spawnSync } from 'node:child_process'

export type TsharkCapability = { ok: true; version: string } | { ok: false; reason: string }

function probe(): TsharkCapability {
  const r = spawnSync('tshark', ['-v'], { encoding: 'utf8', timeout: 30_000 })
  if (r.error) return { ok: false, reason: `tshark not runnable: ${r.error.message}` }
  if (r.status !== 0) return { ok: false, reason: `tshark -v exited ${r.status}: ${r.stderr.trim()}` }
  return { ok: true, version: r.stdout.split('\n')[0] ?? '' }
}

export const tsharkCapability: TsharkCapability = probe()
export const tsharkRequired: boolean = process.env.TUNSCOPE_REQUIRE_NETNS === '1'
export const tsharkSkipReason: string | undefined = tsharkCapability.ok || tsharkRequired ? undefined : tsharkCapability.reason
/** For `describe.skipIf(skipTshark)`. */
export const skipTshark: boolean = tsharkSkipReason !== undefined
/** Appended to suite titles so the report says why they were skipped. */
export const tsharkTitleNote: string = skipTshark ? ` [skipped: ${tsharkSkipReason}; set TUNSCOPE_REQUIRE_NETNS=1 to fail instead]` : ''
if (skipTshark) console.warn(`[tshark] skipping tshark checks: ${tsharkSkipReason} (set TUNSCOPE_REQUIRE_NETNS=1 to fail instead)`)

/** First line of every tshark test: throws (the test fails) when tshark is required but missing. */
export function requireTshark(): void {
  if (!tsharkCapability.ok) throw new Error(`tshark required (TUNSCOPE_REQUIRE_NETNS=1) but unavailable: ${tsharkCapability.reason}`)
}

// tshark's own notice when run as root; it says nothing about the file.
const HARMLESS_STDERR = [/^Running as user "root" and group "root"\. This could be dangerous\.$/]

export interface TsharkFields {
  status: number | null
  /** stderr lines other than tshark's harmless notices. */
  complaints: string[]
  rows: string[][]
}

/** `tshark -r file -T fields -e …`; `extra` goes before the fields (e.g. -n, -E occurrence=f). */
export function tsharkFields(file: string, fields: string[], extra: string[] = []): TsharkFields {
  requireTshark()
  const args = ['-r', file, ...extra, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]
  const r = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28 })
  if (r.error) throw r.error
  const complaints = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !HARMLESS_STDERR.some((re) => re.test(l)))
  const rows = r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'))
  for (const row of rows) if (row.length !== fields.length) throw new Error(`tshark row has ${row.length} fields, expected ${fields.length}: ${JSON.stringify(row)}`)
  return { status: r.status, complaints, rows }
}
