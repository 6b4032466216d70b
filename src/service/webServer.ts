// `tunscope serve`: the inspector UI over HTTP on loopback, with the engine's
// event stream on a WebSocket. Every request must carry the session token:
// the page URL has it, the page then holds it as a same-site cookie.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'

import { WebSocketServer, type WebSocket } from 'ws'

import { parseUiCommand } from '../shared/protocol.js'
import type { EngineService, UiClient } from './engineService.js'
import { declaresBody, refuseOnSocket } from './rawRefusal.js'

const COOKIE = 'tunscope_token'
const HOST = '127.0.0.1'
const MAX_COMMAND_BYTES = 64 * 1024
const NO_BODY = 'tunscope serve takes no request bodies.'
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json'
}

export interface WebServerOptions {
  service: EngineService
  /** The built renderer (index.html and assets/). */
  rendererDir: string
  port: number
}

export interface RunningWebServer {
  /** The page's address, token included. */
  url: string
  port: number
  close(): Promise<void>
}

export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const token = randomBytes(24).toString('base64url')
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_COMMAND_BYTES })
  let origin = '' // HOST:PORT, known once listening
  const server = createServer((request, response) => void serve(request, response, { ...options, token, origin }))
  server.on('upgrade', (request, socket, head) => {
    if (declaresBody(request)) return refuseOnSocket(socket, '413 Content Too Large', NO_BODY)
    const url = new URL(request.url ?? '/', `http://${origin}`)
    // A page from another origin may open a WebSocket to loopback: only ours may.
    const fromOurPage = request.headers.origin === `http://${origin}`
    if (url.pathname !== '/engine' || !fromOurPage || !authorized(request, url, token)) {
      return refuseOnSocket(socket, '403 Forbidden', 'The event stream is for the inspector page opened with its token.')
    }
    sockets.handleUpgrade(request, socket, head, (ws) => attachSocket(ws, options.service))
  })
  await listen(server, options.port)
  const port = (server.address() as AddressInfo).port
  origin = `${HOST}:${port}`
  return {
    url: `http://${origin}/?token=${token}`,
    port,
    close: () => new Promise<void>((resolve) => {
      for (const ws of sockets.clients) ws.terminate()
      sockets.close()
      server.closeAllConnections()
      server.close(() => resolve())
    })
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, HOST, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function attachSocket(ws: WebSocket, service: EngineService): void {
  const client: UiClient = {
    sendMessage: (message) => ws.send(JSON.stringify(message)),
    sendFrames: (batch) => ws.send(batch, { binary: true }),
    backlog: () => ws.bufferedAmount
  }
  const detach = service.attach(client)
  ws.on('message', (data, isBinary) => {
    if (isBinary) return
    let parsed: unknown
    try {
      parsed = JSON.parse(data.toString())
    } catch {
      return // not JSON: not ours to act on
    }
    const command = parseUiCommand(parsed)
    if (command) void service.handle(command).then((refused) => refused && client.sendMessage(refused))
  })
  ws.on('close', detach)
  ws.on('error', () => ws.terminate())
}

interface RequestContext extends WebServerOptions {
  token: string
  origin: string
}

async function serve(request: IncomingMessage, response: ServerResponse, context: RequestContext): Promise<void> {
  // Before anything else, authentication included: nobody gets to make us read a body.
  if (declaresBody(request)) return refuseOnSocket(request.socket, '413 Content Too Large', NO_BODY)
  const url = new URL(request.url ?? '/', `http://${context.origin}`)
  // Another name for loopback (DNS rebinding) is refused: only our own origin.
  if (request.headers.host !== context.origin) return refuse(response, 421, `Open the address tunscope serve printed (http://${context.origin}/?token=…).`)
  if (!authorized(request, url, context.token)) return refuse(response, 403, 'This page needs the token from the address tunscope serve printed; open that address.')
  if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'Only GET is served here.')
  const headers: Record<string, string> = {
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws://${context.origin}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`,
    'Set-Cookie': `${COOKIE}=${context.token}; Path=/; HttpOnly; SameSite=Strict`
  }
  if (url.pathname === '/capture.pcapng') {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
    response.writeHead(200, { ...headers, 'Content-Type': 'application/vnd.tcpdump.pcap', 'Content-Disposition': `attachment; filename="tunscope-${stamp}.pcapng"` })
    await context.service.writePcapng(response)
    return
  }
  const file = staticFile(context.rendererDir, url.pathname === '/' ? '/index.html' : url.pathname)
  if (!file) return refuse(response, 404, `${url.pathname} is not part of the inspector.`)
  response.writeHead(200, { ...headers, 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' })
  if (request.method === 'HEAD') response.end()
  else createReadStream(file).pipe(response)
}

function staticFile(root: string, pathname: string): string | null {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return null
  }
  const file = normalize(join(root, decoded))
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return null
  return existsSync(file) && statSync(file).isFile() ? file : null
}

function authorized(request: IncomingMessage, url: URL, token: string): boolean {
  const given = url.searchParams.get('token') ?? cookie(request.headers.cookie, COOKIE)
  if (given === null) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return value.join('=')
  }
  return null
}

function refuse(response: ServerResponse, status: number, sentence: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
  response.end(`${sentence}\n`)
}
