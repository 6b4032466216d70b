// The frame list's columns as the user arranged them: each column's width, which ones are hidden,
// and which of the shown ones fit the list's width now. Pure, no DOM: unit-tested in node
// (test/renderer/frameColumns.test.ts). The list applies the result as one CSS grid template.

export type ColumnKey = 'no' | 'time' | 'dev' | 'dir' | 'src' | 'dst' | 'proto' | 'len' | 'uart' | 'info'

export interface ColumnSpec {
  key: ColumnKey
  title: string
  /** px: the width a column starts at and returns to on a double-click. */
  width: number
  /** px: narrower than this the column's usual value no longer reads. */
  min: number
  /** Which columns give way first when the list is too narrow for all (higher goes first); 0 never. */
  yields: number
}

/** Info is last and takes the rest of the width (at least INFO_MIN): it has no width of its own. */
export const COLUMNS: readonly ColumnSpec[] = [
  { key: 'no', title: 'No.', width: 64, min: 44, yields: 0 },
  { key: 'time', title: 'Time', width: 92, min: 84, yields: 0 },
  // The device a frame came from or went to; of the columns that give way, the last to go.
  { key: 'dev', title: 'Device', width: 96, min: 64, yields: 1 },
  { key: 'dir', title: 'Dir', width: 76, min: 72, yields: 0 },
  { key: 'src', title: 'Source', width: 132, min: 112, yields: 2 },
  { key: 'dst', title: 'Destination', width: 132, min: 112, yields: 3 },
  { key: 'proto', title: 'Protocol', width: 80, min: 76, yields: 0 },
  { key: 'len', title: 'Length', width: 68, min: 64, yields: 4 },
  { key: 'uart', title: 'UART', width: 84, min: 72, yields: 5 },
  { key: 'info', title: 'Info', width: 0, min: 0, yields: 0 }
]

/** px: Info's narrowest; the columns that yield give way before Info gets narrower. */
export const INFO_MIN = 180
/** px: no column is dragged wider than this. */
export const MAX_WIDTH = 1200

export interface ColumnLayout {
  /** px, for every column but Info. */
  widths: Readonly<Record<Exclude<ColumnKey, 'info'>, number>>
  /** Hidden by the user (Info cannot be). */
  hidden: readonly ColumnKey[]
  /**
   * Columns the user has not shown or hidden, which show by themselves when they have something
   * to tell (shownLayout): Device, once frames come from more than one device. Showing or hiding
   * one in the Columns menu takes it off this list.
   */
  auto: readonly ColumnKey[]
}

/** The columns that can show by themselves. */
const AUTO_COLUMNS: readonly ColumnKey[] = ['dev']

const SIZED = COLUMNS.filter((c) => c.key !== 'info')
const specOf = (key: ColumnKey): ColumnSpec => COLUMNS.find((c) => c.key === key)!

export const DEFAULT_COLUMN_LAYOUT: ColumnLayout = {
  widths: Object.fromEntries(SIZED.map((c) => [c.key, c.width])) as ColumnLayout['widths'],
  hidden: [],
  auto: AUTO_COLUMNS
}

const clampWidth = (key: ColumnKey, width: number): number => Math.round(Math.min(MAX_WIDTH, Math.max(specOf(key).min, width)))

/**
 * A stored layout, checked field by field: an unknown or malformed width takes its default, an
 * out-of-range one is clamped, unknown hidden keys are dropped. Null when it is not a layout at all.
 */
export function parseColumnLayout(value: unknown): ColumnLayout | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const { widths, hidden, auto } = value as Record<string, unknown>
  const storedWidths = typeof widths === 'object' && widths !== null ? (widths as Record<string, unknown>) : {}
  const parsedWidths = Object.fromEntries(SIZED.map((c) => {
    const w = Object.hasOwn(storedWidths, c.key) ? storedWidths[c.key] : undefined
    return [c.key, typeof w === 'number' && Number.isFinite(w) ? clampWidth(c.key, w) : c.width]
  })) as ColumnLayout['widths']
  const parsedHidden = Array.isArray(hidden)
    ? SIZED.map((c) => c.key).filter((key) => hidden.includes(key))
    : []
  // A layout stored before a column could show by itself leaves it to do so.
  const parsedAuto = Array.isArray(auto) ? AUTO_COLUMNS.filter((key) => auto.includes(key)) : AUTO_COLUMNS
  return { widths: parsedWidths, hidden: parsedHidden, auto: parsedAuto }
}

/**
 * The layout as the list shows it: each column left to show by itself (`auto`) shown when `tells`
 * says it has something to tell, hidden otherwise; the others as the user has them.
 */
export function shownLayout(layout: ColumnLayout, tells: (key: ColumnKey) => boolean): ColumnLayout {
  if (layout.auto.length === 0) return layout
  const hidden = SIZED.map((c) => c.key).filter((key) => (layout.auto.includes(key) ? !tells(key) : layout.hidden.includes(key)))
  return hidden.length === layout.hidden.length && hidden.every((key, i) => layout.hidden[i] === key) ? layout : { ...layout, hidden }
}

export function resizeColumn(layout: ColumnLayout, key: ColumnKey, width: number): ColumnLayout {
  if (key === 'info') return layout
  return { ...layout, widths: { ...layout.widths, [key]: clampWidth(key, width) } }
}

export function resetColumnWidth(layout: ColumnLayout, key: ColumnKey): ColumnLayout {
  return resizeColumn(layout, key, specOf(key).width)
}

/** The user shows or hides a column (it no longer shows by itself). */
export function setColumnHidden(layout: ColumnLayout, key: ColumnKey, hide: boolean): ColumnLayout {
  const auto = layout.auto.includes(key)
  if (key === 'info' || (!auto && layout.hidden.includes(key) === hide)) return layout
  const hidden = hide ? [...layout.hidden.filter((k) => k !== key), key] : layout.hidden.filter((k) => k !== key)
  return { ...layout, hidden: SIZED.map((c) => c.key).filter((k) => hidden.includes(k)), auto: auto ? layout.auto.filter((k) => k !== key) : layout.auto }
}

/**
 * The columns shown in a list `available` px wide: those the user did not hide, less the ones that
 * yield (highest first) while the rest at their minimum widths and Info at INFO_MIN do not fit.
 */
export function fittedColumns(layout: ColumnLayout, available: number): ColumnKey[] {
  const shown = COLUMNS.filter((c) => !layout.hidden.includes(c.key))
  const need = (cols: readonly ColumnSpec[]): number => cols.reduce((sum, c) => sum + (c.key === 'info' ? INFO_MIN : c.min), 0)
  const yielding = shown.filter((c) => c.yields > 0).sort((a, b) => b.yields - a.yields)
  let fitted = shown
  for (const c of yielding) {
    if (need(fitted) <= available) break
    fitted = fitted.filter((f) => f !== c)
  }
  return fitted.map((c) => c.key)
}

/**
 * The CSS grid template of `shown`: each column its width, narrowing to its minimum when the
 * list is short of room; Info the rest.
 */
export function gridTemplate(layout: ColumnLayout, shown: readonly ColumnKey[]): string {
  return shown.map((key) => (key === 'info' ? `minmax(${INFO_MIN}px, 1fr)` : `minmax(${specOf(key).min}px, ${layout.widths[key]}px)`)).join(' ')
}

/** px: the narrowest the rows get (below it the list scrolls sideways). */
export function minRowWidth(shown: readonly ColumnKey[]): number {
  return shown.reduce((sum, key) => sum + (key === 'info' ? INFO_MIN : specOf(key).min), 0)
}
