// The inspector's layout logic: the frame list's column model, the stored layout's checks and
// where a menu opens (the components themselves are tested in Chromium, test/ui/layout).
import { afterEach, describe, expect, it, vi } from 'vitest'

import {
  COLUMNS, DEFAULT_COLUMN_LAYOUT, fittedColumns, gridTemplate, INFO_MIN, MAX_WIDTH, minRowWidth, parseColumnLayout,
  resetColumnWidth, resizeColumn, setColumnHidden, shownLayout
} from '../../src/renderer/src/ui/frameColumns'
import { MARGIN, placeMenu } from '../../src/renderer/src/ui/menuPlacement'
import { parseSplitSizes, readStoredLayout, writeStoredLayout } from '../../src/renderer/src/ui/storedLayout'

const ALL = COLUMNS.map((c) => c.key)
const minOf = (key: string): number => COLUMNS.find((c) => c.key === key)!.min

describe('frame list columns', () => {
  it('shows every column, Info last taking the rest, when the list has room', () => {
    expect(fittedColumns(DEFAULT_COLUMN_LAYOUT, 2000)).toEqual(ALL)
    const template = gridTemplate(DEFAULT_COLUMN_LAYOUT, ALL)
    expect(template.split(' minmax').length).toBe(ALL.length)
    expect(template).toMatch(/minmax\(44px, 64px\) /)
    expect(template.endsWith(`minmax(${INFO_MIN}px, 1fr)`)).toBe(true)
  })

  it('gives way UART first, then Length, Destination and Source; No., Time, Dir, Protocol and Info never', () => {
    const at = (width: number) => fittedColumns(DEFAULT_COLUMN_LAYOUT, width)
    const all = minRowWidth(ALL)
    expect(at(all)).toEqual(ALL)
    expect(at(all - 1)).not.toContain('uart')
    expect(at(all - 1)).toContain('len')
    expect(at(all - minOf('uart') - 1)).not.toContain('len')
    expect(at(0)).toEqual(['no', 'time', 'dir', 'proto', 'info'])
    // The list at 1024 px (a 280 px side panel, a scroll bar), one device (no Device column): the essential columns and the addresses.
    expect(fittedColumns(shownLayout(DEFAULT_COLUMN_LAYOUT, () => false), 1024 - 280 - 2 - 15)).toEqual(expect.arrayContaining(['no', 'time', 'dir', 'src', 'dst', 'proto', 'info']))
    // What fits, fits at the columns' minimum widths.
    for (const width of [0, 500, 700, 900]) expect(minRowWidth(at(width)) <= width || at(width).length === 5).toBe(true)
  })

  it('leaves out of the template the columns not shown', () => {
    const shown = fittedColumns(setColumnHidden(DEFAULT_COLUMN_LAYOUT, 'src', true), 2000)
    expect(shown).not.toContain('src')
    expect(gridTemplate(DEFAULT_COLUMN_LAYOUT, shown).split(' minmax').length).toBe(ALL.length - 1)
  })

  it('resizes within the column\'s minimum and MAX_WIDTH, and resets to the default width', () => {
    expect(resizeColumn(DEFAULT_COLUMN_LAYOUT, 'src', 250.4).widths.src).toBe(250)
    expect(resizeColumn(DEFAULT_COLUMN_LAYOUT, 'src', 3).widths.src).toBe(minOf('src'))
    expect(resizeColumn(DEFAULT_COLUMN_LAYOUT, 'src', 1e9).widths.src).toBe(MAX_WIDTH)
    expect(resizeColumn(DEFAULT_COLUMN_LAYOUT, 'info', 300)).toBe(DEFAULT_COLUMN_LAYOUT)
    expect(resetColumnWidth(resizeColumn(DEFAULT_COLUMN_LAYOUT, 'time', 300), 'time')).toEqual(DEFAULT_COLUMN_LAYOUT)
  })

  it('hides and shows columns in their order, never Info', () => {
    let layout = setColumnHidden(DEFAULT_COLUMN_LAYOUT, 'uart', true)
    layout = setColumnHidden(layout, 'no', true)
    expect(layout.hidden).toEqual(['no', 'uart'])
    expect(setColumnHidden(layout, 'no', true)).toBe(layout)
    expect(setColumnHidden(layout, 'no', false).hidden).toEqual(['uart'])
    expect(setColumnHidden(layout, 'info', true)).toBe(layout)
  })

  it('reads back a stored layout field by field, and refuses what is not one', () => {
    expect(parseColumnLayout(JSON.parse(JSON.stringify(DEFAULT_COLUMN_LAYOUT)))).toEqual(DEFAULT_COLUMN_LAYOUT)
    for (const bad of [null, 3, 'x', [], undefined]) expect(parseColumnLayout(bad)).toBeNull()
    const parsed = parseColumnLayout({ widths: { src: 1e12, dst: 'wide', time: -5, no: Number.NaN, __proto__: 5, info: 99 }, hidden: ['len', 'info', 'bogus', 7] })
    expect(parsed).toEqual({
      widths: { ...DEFAULT_COLUMN_LAYOUT.widths, src: MAX_WIDTH, time: minOf('time') },
      hidden: ['len'],
      auto: ['dev']
    })
    // Stored before Device could show by itself, or shown or hidden by the user since.
    expect(parseColumnLayout({ widths: {}, hidden: [] })!.auto).toEqual(['dev'])
    expect(parseColumnLayout({ widths: {}, hidden: ['dev'], auto: [] })).toMatchObject({ hidden: ['dev'], auto: [] })
    expect(parseColumnLayout({ widths: {}, hidden: [], auto: ['no', 'x'] })!.auto).toEqual([])
    expect(parseColumnLayout({ widths: 5, hidden: 'no' })).toEqual(DEFAULT_COLUMN_LAYOUT)
  })
})

describe('the Device column', () => {
  const several = (key: string): boolean => key === 'dev'
  const one = (): boolean => false

  it('shows by itself when frames come from several devices, and not for one', () => {
    expect(shownLayout(DEFAULT_COLUMN_LAYOUT, one).hidden).toEqual(['dev'])
    expect(shownLayout(DEFAULT_COLUMN_LAYOUT, several)).toBe(DEFAULT_COLUMN_LAYOUT)
    expect(fittedColumns(shownLayout(DEFAULT_COLUMN_LAYOUT, several), 2000)).toContain('dev')
    // The user's hidden columns stay hidden either way.
    const noUart = setColumnHidden(DEFAULT_COLUMN_LAYOUT, 'uart', true)
    expect(shownLayout(noUart, one).hidden).toEqual(['dev', 'uart'])
    expect(shownLayout(noUart, several).hidden).toEqual(['uart'])
  })

  it('once shown or hidden in the menu, stays as the user left it', () => {
    const hidden = setColumnHidden(shownLayout(DEFAULT_COLUMN_LAYOUT, several), 'dev', true)
    expect(hidden.auto).toEqual([])
    expect(shownLayout(hidden, several).hidden).toEqual(['dev'])
    const shown = setColumnHidden(shownLayout(DEFAULT_COLUMN_LAYOUT, one), 'dev', false)
    expect(shown.auto).toEqual([])
    expect(shownLayout(shown, one).hidden).toEqual([])
  })

  it('is the last of the columns that give way', () => {
    const all = minRowWidth(ALL)
    const at = (width: number) => fittedColumns(DEFAULT_COLUMN_LAYOUT, width)
    const others = all - minOf('uart') - minOf('len') - minOf('dst') - minOf('src')
    expect(at(others)).toEqual(['no', 'time', 'dev', 'dir', 'proto', 'info'])
    expect(at(others - 1)).toEqual(['no', 'time', 'dir', 'proto', 'info'])
  })
})

describe('stored layout', () => {
  afterEach(() => vi.unstubAllGlobals())

  // The Web Storage calls storedLayout.ts makes (the tests' types have no DOM library).
  const memoryStorage = (): { getItem(key: string): string | null; setItem(key: string, value: string): void } => {
    const items = new Map<string, string>()
    return { getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value) }
  }

  it('round-trips a value, and falls back on missing, broken or hostile values and on storage that throws', () => {
    const storage = memoryStorage()
    vi.stubGlobal('localStorage', storage)
    writeStoredLayout('columns', DEFAULT_COLUMN_LAYOUT)
    expect(readStoredLayout('columns', parseColumnLayout, null)).toEqual(DEFAULT_COLUMN_LAYOUT)
    expect(readStoredLayout<unknown>('other', parseColumnLayout, 'fallback')).toBe('fallback')
    for (const text of ['{', 'null', '"x"', '[1,2]', '{"widths":{"src":"1e999"}}']) {
      storage.setItem('tunscope.layout.split', text)
      expect(readStoredLayout<unknown>('split', (v) => parseSplitSizes(v, ['a', 'b']), 'fallback')).toBe('fallback')
    }
    vi.stubGlobal('localStorage', { getItem: () => { throw new Error('denied') }, setItem: () => { throw new Error('full') } })
    expect(readStoredLayout<unknown>('columns', parseColumnLayout, 'fallback')).toBe('fallback')
    expect(() => writeStoredLayout('columns', DEFAULT_COLUMN_LAYOUT)).not.toThrow()
  })

  it('takes split sizes only for exactly the split\'s panels, as percents adding up to 100', () => {
    const ids = ['frames', 'side']
    expect(parseSplitSizes({ frames: 70.5, side: 29.5 }, ids)).toEqual({ frames: 70.5, side: 29.5 })
    expect(parseSplitSizes({ frames: 70, side: 30, extra: 0 }, ids)).toBeNull()
    expect(parseSplitSizes({ frames: 70 }, ids)).toBeNull()
    expect(parseSplitSizes({ frames: 170, side: -70 }, ids)).toBeNull()
    expect(parseSplitSizes({ frames: 50, side: 20 }, ids)).toBeNull()
    expect(parseSplitSizes({ frames: '70', side: 30 }, ids)).toBeNull()
    expect(parseSplitSizes(JSON.parse('{"__proto__": 50, "side": 50}'), ids)).toBeNull()
    expect(parseSplitSizes([70, 30], ids)).toBeNull()
  })
})

describe('menu placement', () => {
  const button = (left: number, top: number, width = 80, height = 28) => ({ left, top, right: left + width, bottom: top + height, width, height })
  const menu = { width: 300, height: 200 }

  it('opens under the button from its left edge when the window has room to the right', () => {
    expect(placeMenu(button(100, 50), menu, 1024, 640)).toEqual({ left: 100, top: 82, maxHeight: 640 - MARGIN - 82 })
  })

  it('ends at the button\'s right edge when the window has no room to the right, and stays inside', () => {
    expect(placeMenu(button(900, 50), menu, 1024, 640).left).toBe(980 - 300)
    expect(placeMenu(button(10, 50, 20), menu, 200, 640).left).toBe(MARGIN)
  })

  it('opens above the button when there is more room there than below', () => {
    const placed = placeMenu(button(100, 560), menu, 1024, 640)
    expect(placed.top).toBe(560 - 4 - 200)
    expect(placed.maxHeight).toBe(560 - 4 - MARGIN)
  })
})
