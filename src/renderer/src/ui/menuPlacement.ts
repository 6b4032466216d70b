// Where a menu opens: under its button, starting at the button's left edge when the window has
// room to the right, else ending at its right edge; above the button when there is no room below.
// Always inside the window, MARGIN px from its edges. Pure, no DOM.

export const MARGIN = 8
const GAP = 4

export interface Rect { left: number; right: number; top: number; bottom: number; width: number; height: number }

export function placeMenu(button: Rect, menu: Pick<Rect, 'width' | 'height'>, windowWidth: number, windowHeight: number): { left: number; top: number; maxHeight: number } {
  const fitsRight = button.left + menu.width <= windowWidth - MARGIN
  const left = Math.max(MARGIN, Math.min(fitsRight ? button.left : button.right - menu.width, windowWidth - MARGIN - menu.width))
  const below = windowHeight - MARGIN - (button.bottom + GAP)
  const above = button.top - GAP - MARGIN
  const downward = menu.height <= below || below >= above
  const maxHeight = Math.max(0, downward ? below : above)
  const top = downward ? button.bottom + GAP : button.top - GAP - Math.min(menu.height, maxHeight)
  return { left, top: Math.max(MARGIN, top), maxHeight }
}
