// The inspector's layout (split sizes, columns) kept in localStorage between runs. What is read
// back is checked by the caller's parser: a value that is missing, not JSON, malformed or hostile
// gives the default, and storage that throws (disabled, full) is the same as none.

/** Every key is under this prefix, so the layout can be told apart from anything else stored. */
const PREFIX = 'tunscope.layout.'

/** The Web Storage calls made here (typed here: the unit tests compile this without the DOM library). */
interface LayoutStorage { getItem(key: string): string | null; setItem(key: string, value: string): void }
const storage = (): LayoutStorage | undefined => (globalThis as { localStorage?: LayoutStorage }).localStorage

export function readStoredLayout<T>(name: string, parse: (value: unknown) => T | null, fallback: T): T {
  try {
    const text = storage()?.getItem(PREFIX + name)
    if (text == null) return fallback
    return parse(JSON.parse(text)) ?? fallback
  } catch {
    return fallback
  }
}

export function writeStoredLayout(name: string, value: unknown): void {
  try {
    storage()?.setItem(PREFIX + name, JSON.stringify(value))
  } catch {
    // Not remembered this time; the layout on screen is unaffected.
  }
}

/**
 * Split sizes as react-resizable-panels reports them (panel id → percent): exactly the `ids`,
 * each a finite percent, adding up to 100 (give or take rounding). Null otherwise.
 */
export function parseSplitSizes(value: unknown, ids: readonly string[]): Record<string, number> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.length !== ids.length || !ids.every((id) => Object.hasOwn(value, id))) return null
  if (!entries.every(([, size]) => typeof size === 'number' && Number.isFinite(size) && size >= 0 && size <= 100)) return null
  const total = entries.reduce((sum, [, size]) => sum + (size as number), 0)
  return Math.abs(total - 100) <= 1 ? Object.fromEntries(ids.map((id) => [id, (value as Record<string, number>)[id]!])) : null
}
