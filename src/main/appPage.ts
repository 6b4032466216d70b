// Where the renderer comes from, and how to tell our page from anything else:
// the built index.html over file://, or electron-vite's dev server.
import { pathToFileURL } from 'node:url'

export interface AppPage {
  /** What the window loads. */
  readonly url: string
  /** True for our page's own document (whatever its #hash or ?query). */
  isPage(url: string): boolean
}

/** devServer: electron-vite's ELECTRON_RENDERER_URL, honoured only by an unpackaged app. */
export function appPage(devServer: string | undefined, indexFile: string): AppPage {
  if (devServer) {
    const origin = new URL(devServer).origin
    return { url: devServer, isPage: (url) => parse(url)?.origin === origin }
  }
  const url = pathToFileURL(indexFile).href
  return { url, isPage: (candidate) => documentOf(candidate) === url }
}

function parse(url: string): URL | null {
  return URL.canParse(url) ? new URL(url) : null
}

function documentOf(url: string): string | null {
  const parsed = parse(url)
  if (!parsed) return null
  parsed.hash = ''
  parsed.search = ''
  return parsed.href
}
