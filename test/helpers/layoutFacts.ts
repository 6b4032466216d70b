// Layout facts a person sees, read off the page in Chromium: text that draws
// over other text, boxes outside the window, what is on top at a point, content
// cut off without a way to scroll to it, and text contrast (WCAG 2).
// Each function runs in the page; the tests' own types have no DOM library,
// so the page's objects are typed here as far as these functions use them.
import type { Page } from 'playwright-core'

export interface Box { left: number; top: number; right: number; bottom: number }

/** Pairs of `itemSelector` elements (by their text) whose visible text draws over another's. */
export async function overlappingText(page: Page, itemSelector: string): Promise<string[]> {
  return page.evaluate((selector) => {
    type Rect = { left: number; top: number; right: number; bottom: number; width: number; height: number }
    type El = { textContent: string; parentElement: El | null; getBoundingClientRect(): Rect; getClientRects(): ArrayLike<Rect> }
    type Doc = {
      querySelectorAll(s: string): ArrayLike<El>
      createTreeWalker(root: El, what: number): { nextNode(): unknown }
      createRange(): { selectNodeContents(n: unknown): void; getClientRects(): ArrayLike<Rect> }
    }
    const g = globalThis as unknown as { document: Doc; getComputedStyle(e: El): { overflowX: string; overflowY: string; visibility: string; display: string } }
    // A text node's rectangles as drawn: cut by every ancestor that clips (an ellipsis box).
    const visibleTextBoxes = (item: El): Rect[] => {
      const boxes: Rect[] = []
      const walker = g.document.createTreeWalker(item, 4 /* NodeFilter.SHOW_TEXT */)
      for (let node = walker.nextNode() as { textContent: string; parentElement: El } | null; node; node = walker.nextNode() as typeof node) {
        if (!node.textContent.trim()) continue
        const range = g.document.createRange()
        range.selectNodeContents(node)
        for (const rect of Array.from(range.getClientRects())) {
          let box = { left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom }
          for (let up: El | null = node.parentElement; up && box; up = up.parentElement) {
            const style = g.getComputedStyle(up)
            if (style.overflowX === 'visible' && style.overflowY === 'visible') continue
            const clip = up.getBoundingClientRect()
            box = { left: Math.max(box.left, clip.left), top: Math.max(box.top, clip.top), right: Math.min(box.right, clip.right), bottom: Math.min(box.bottom, clip.bottom) }
            if (box.right <= box.left || box.bottom <= box.top) box = null as unknown as typeof box
          }
          if (box) boxes.push({ ...box, width: box.right - box.left, height: box.bottom - box.top })
        }
      }
      return boxes
    }
    const items = Array.from(g.document.querySelectorAll(selector)).filter((e) => e.getClientRects().length > 0)
    const boxes = items.map(visibleTextBoxes)
    const overlaps: string[] = []
    const intersect = (a: Rect, b: Rect): boolean => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        if (boxes[i]!.some((a) => boxes[j]!.some((b) => intersect(a, b)))) overlaps.push(`"${items[i]!.textContent.trim()}" over "${items[j]!.textContent.trim()}"`)
      }
    }
    return overlaps
  }, itemSelector)
}

/** The element's box, or null when it is not rendered. */
export async function boxOf(page: Page, selector: string): Promise<Box | null> {
  const box = await page.locator(selector).first().boundingBox()
  return box && { left: box.x, top: box.y, right: box.x + box.width, bottom: box.y + box.height }
}

/** Whether `box` lies inside the window (to the pixel). */
export async function insideWindow(page: Page, box: Box): Promise<boolean> {
  const { width, height } = page.viewportSize()!
  return box.left >= -0.5 && box.top >= -0.5 && box.right <= width + 0.5 && box.bottom <= height + 0.5
}

/** Points of a 5 × 5 grid over the element (inset past its corners) where something else is on top (elementFromPoint), as "x,y: what". */
export async function coveredPoints(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).first().evaluate((element) => {
    type El = { contains(o: unknown): boolean; getBoundingClientRect(): { left: number; top: number; width: number; height: number }; tagName: string; className: string; textContent: string }
    const el = element as unknown as El
    const doc = (globalThis as unknown as { document: { elementFromPoint(x: number, y: number): El | null } }).document
    const r = el.getBoundingClientRect()
    // Inset past rounded corners, where the element does not take the pointer.
    const inset = Math.min(8, r.width / 4, r.height / 4)
    const covered: string[] = []
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        const x = r.left + inset + ((r.width - 2 * inset) * i) / 4
        const y = r.top + inset + ((r.height - 2 * inset) * j) / 4
        const hit = doc.elementFromPoint(x, y)
        if (hit && !el.contains(hit)) covered.push(`${Math.round(x)},${Math.round(y)}: ${hit.tagName.toLowerCase()}.${String(hit.className)} "${hit.textContent.slice(0, 30)}"`)
      }
    }
    return covered
  })
}

/** Whether the page scrolls sideways. */
export async function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { scrollingElement: { scrollWidth: number; clientWidth: number } } }).document
    return doc.scrollingElement.scrollWidth > doc.scrollingElement.clientWidth
  })
}

/**
 * Visible elements whose content is cut off with no way to reach it: more
 * content than box and overflow hidden/clip, except single-line text that ends
 * in an ellipsis (its full text is in a tooltip).
 */
export async function cutOffBoxes(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type El = {
      scrollWidth: number; clientWidth: number; scrollHeight: number; clientHeight: number
      tagName: string; className: unknown; textContent: string; getClientRects(): ArrayLike<unknown>
    }
    const g = globalThis as unknown as {
      document: { querySelectorAll(s: string): ArrayLike<El> }
      getComputedStyle(e: El): { overflowX: string; overflowY: string; textOverflow: string; visibility: string }
    }
    const hides = (overflow: string): boolean => overflow === 'hidden' || overflow === 'clip'
    const cut: string[] = []
    for (const el of Array.from(g.document.querySelectorAll('body *'))) {
      if (el.getClientRects().length === 0 || el.tagName === 'svg' || typeof el.className !== 'string') continue
      const style = g.getComputedStyle(el)
      if (style.visibility === 'hidden' || style.textOverflow === 'ellipsis') continue
      const wide = el.scrollWidth > el.clientWidth + 1 && hides(style.overflowX)
      const tall = el.scrollHeight > el.clientHeight + 1 && hides(style.overflowY)
      if (wide || tall) cut.push(`${el.tagName.toLowerCase()}.${el.className} (${wide ? `${el.scrollWidth} > ${el.clientWidth} wide` : `${el.scrollHeight} > ${el.clientHeight} tall`}) "${el.textContent.slice(0, 40)}"`)
    }
    return cut
  })
}

/**
 * Visible text (HTML and SVG) with WCAG contrast below `minimum` against the
 * background it is drawn on (ancestors' backgrounds composited), as "text: ratio".
 * Disabled controls are exempt, as WCAG exempts them.
 */
export async function lowContrastText(page: Page, minimum = 4.5): Promise<string[]> {
  return page.evaluate((min) => {
    type El = {
      tagName: string; parentElement: El | null; namespaceURI: string; textContent: string
      childNodes: ArrayLike<{ nodeType: number; textContent: string }>; getClientRects(): ArrayLike<unknown>; closest(s: string): El | null
    }
    type Style = { color: string; fill: string; backgroundColor: string; visibility: string; opacity: string }
    const g = globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<El> }; getComputedStyle(e: El): Style }
    const parse = (css: string): [number, number, number, number] | null => {
      const m = css.match(/-?\d+(\.\d+)?/g)
      if (!m || !css.startsWith('rgb')) return null
      return [Number(m[0]), Number(m[1]), Number(m[2]), m[3] === undefined ? 1 : Number(m[3])]
    }
    const over = (top: number[], under: number[]): number[] => [0, 1, 2].map((i) => top[i]! * top[3]! + under[i]! * (1 - top[3]!)).concat(1)
    const background = (el: El): number[] => {
      const layers: number[][] = []
      for (let e: El | null = el; e; e = e.parentElement) {
        const c = parse(g.getComputedStyle(e).backgroundColor)
        if (c && c[3] > 0) layers.push(c)
        if (c && c[3] >= 1) break
      }
      let colour = [255, 255, 255, 1] // the window behind the page
      for (const layer of layers.reverse()) colour = over(layer, colour)
      return colour
    }
    const luminance = (c: number[]): number => {
      const linear = (v: number): number => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4 }
      return 0.2126 * linear(c[0]!) + 0.7152 * linear(c[1]!) + 0.0722 * linear(c[2]!)
    }
    const low: string[] = []
    for (const el of Array.from(g.document.querySelectorAll('body *'))) {
      const ownText = Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim()
      if (!ownText || el.getClientRects().length === 0 || el.closest(':disabled, [aria-disabled="true"]')) continue
      const style = g.getComputedStyle(el)
      if (style.visibility === 'hidden') continue
      const inSvg = el.namespaceURI === 'http://www.w3.org/2000/svg'
      const text = parse(inSvg ? style.fill : style.color)
      if (!text || text[3] === 0) continue
      let host: El = el
      while (host.namespaceURI === 'http://www.w3.org/2000/svg' && host.parentElement) host = host.parentElement
      const back = background(host)
      const [hi, lo] = [luminance(over(text, back)), luminance(back)].sort((a, b) => b - a)
      const ratio = (hi! + 0.05) / (lo! + 0.05)
      if (ratio < min) low.push(`"${ownText.slice(0, 40)}" (${el.tagName.toLowerCase()}): ${ratio.toFixed(2)}`)
    }
    return [...new Set(low)]
  }, minimum)
}

/** After a size or theme change: two animation frames, so layout and paint have happened. */
export async function settled(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((done) => {
    const raf = (globalThis as unknown as { requestAnimationFrame(f: () => void): void }).requestAnimationFrame
    raf(() => raf(done))
  }))
}

/** Words (runs of non-space) of the element's text drawn across more than one line. */
export function splitWords(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).first().evaluate((element) => {
    type TextNode = { textContent: string }
    const doc = (globalThis as unknown as {
      document: {
        createTreeWalker(root: unknown, what: number): { nextNode(): TextNode | null }
        createRange(): { setStart(n: TextNode, o: number): void; setEnd(n: TextNode, o: number): void; getClientRects(): ArrayLike<{ top: number; width: number }> }
      }
    }).document
    const split: string[] = []
    const walker = doc.createTreeWalker(element, 4 /* NodeFilter.SHOW_TEXT */)
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.textContent.matchAll(/\S+/g)) {
        const range = doc.createRange()
        range.setStart(node, word.index)
        range.setEnd(node, word.index + word[0].length)
        const lines = new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => Math.round(r.top)))
        if (lines.size > 1) split.push(word[0])
      }
    }
    return split
  })
}
