// Scroll and keyboard arithmetic of the frame list (fixed-height rows under a sticky header).
// Pure, no DOM.

/** Within `slack` px of the end counts as at the bottom (fractional scroll positions when zoomed). */
export function isAtBottom(scrollTop: number, clientHeight: number, scrollHeight: number, slack: number): boolean {
  return scrollHeight - scrollTop - clientHeight <= slack
}

/**
 * The scrollTop that shows `row` whole, moving as little as possible. Row r's top is at
 * header + r × rowHeight; the sticky header covers the first `header` px of the viewport.
 */
export function revealScrollTop(row: number, scrollTop: number, viewport: number, rowHeight: number, header: number): number {
  const top = header + row * rowHeight
  if (top < scrollTop + header) return top - header
  if (top + rowHeight > scrollTop + viewport) return top + rowHeight - viewport
  return scrollTop
}

/**
 * The row a key moves the selection to, or null for a key the list does not handle.
 * `current` is -1 when the selected frame is not shown; the arrows then start at `fallback`
 * (the first row on screen).
 */
export function nextRow(key: string, current: number, rows: number, page: number, fallback: number): number | null {
  if (rows === 0) return null
  let next: number
  switch (key) {
    case 'ArrowDown': next = current < 0 ? fallback : current + 1; break
    case 'ArrowUp': next = current < 0 ? fallback : current - 1; break
    case 'PageDown': next = current < 0 ? fallback : current + page; break
    case 'PageUp': next = current < 0 ? fallback : current - page; break
    case 'Home': next = 0; break
    case 'End': next = rows - 1; break
    default: return null
  }
  return Math.max(0, Math.min(rows - 1, next))
}

/** Where the list was left after the previous change. */
export interface ScrollMark {
  scrollTop: number
  scrollHeight: number
}

/**
 * What the list does after new rows (or dropped ones): 'bottom' follows, 'stay' keeps the frames on
 * screen. A scroll the user made since the previous change whose scroll event has not come yet
 * (a batch landed first) still counts: 'stop' (moved up while following) and 'start' (moved back
 * to the bottom) change follow first. Resizes and shrinking content move scrollTop too; they are
 * not the user leaving the bottom.
 */
export function afterChange(
  follow: boolean, prev: ScrollMark | null, scrollTop: number, clientHeight: number, scrollHeight: number, slack: number
): 'bottom' | 'stay' | 'stop' | 'start' {
  if (!prev) return follow ? 'bottom' : 'stay'
  const moved = Math.abs(scrollTop - prev.scrollTop) > 1
  const atOldBottom = isAtBottom(scrollTop, clientHeight, prev.scrollHeight, slack)
  if (follow) return moved && scrollTop < prev.scrollTop && scrollHeight >= prev.scrollHeight && !atOldBottom ? 'stop' : 'bottom'
  return moved && atOldBottom ? 'start' : 'stay'
}
