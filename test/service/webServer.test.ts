// `tunscope serve`'s web server in-process: the token guards every request,
// only our own origin may open the event stream, files outside the UI are
// never served, and commands over the WebSocket reach the engine.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'

import { EngineService } from '../../src/service/engineService'
import { startWebServer, type RunningWebServer } from '../../src/service/webServer'
import { DEFAULT_SETTINGS, PROTOCOL_VERSION, type EngineMessage } from '../../src/shared/protocol'

let dir: string
let service: EngineService
let server: RunningWebServer
let token: string
let origin: string

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { host: origin, ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Opens the event stream and collects its JSON messages. */
async function openStream(headers: Record<string, string>): Promise<{ ws: WebSocket; messages: EngineMessage[]; next(type: string): Promise<EngineMessage> }> {
  const ws = new WebSocket(`ws://${origin}/engine`, { headers })
  const messages: EngineMessage[] = []
  const waiters: { type: string; resolve(m: EngineMessage): void }[] = []
  ws.on('message', (data, binary) => {
    if (binary) return
    const m = JSON.parse(data.toString()) as EngineMessage
    messages.push(m)
    for (const w of waiters.filter((w) => w.type === m.type)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve(m)
    }
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return {
    ws,
    messages,
    next: (type) => new Promise((resolve) => waiters.push({ type, resolve }))
  }
}

interface Pushed {
  /** What the server sent back, as text. */
  answer: string
  /** Body bytes the connection took (into the server or the kernel's buffers) before the server closed it or stopped taking more. */
  accepted: number
  /** The server closed the connection within a few seconds (it does not wait for the body). */
  closed: boolean
}

/** Far more than the kernel's socket buffers hold. */
const BODY_LIMIT = 64 * 1024 * 1024

/**
 * Sends `head`, then body chunks one at a time, each once the previous one
 * left for the kernel, until BODY_LIMIT bytes or until a write is not taken
 * within half a second; then waits up to 3 s for the server to close.
 */
async function pushBody(head: string, chunk: Buffer): Promise<Pushed> {
  const socket = connect(server.port, '127.0.0.1')
  let answer = ''
  socket.on('data', (d: Buffer) => (answer += d.toString()))
  socket.on('error', () => {}) // EPIPE or ECONNRESET: the server hung up on the body, as it should
  const closed = new Promise<boolean>((resolve) => {
    socket.once('end', () => resolve(true))
    socket.once('close', () => resolve(true))
  })
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write(head)
  let accepted = 0
  while (accepted < BODY_LIMIT) {
    const written = await Promise.race([new Promise<boolean>((resolve) => socket.write(chunk, (error) => resolve(!error))), sleep(500, false)])
    if (!written) break
    accepted += chunk.length
    await sleep(1)
  }
  const result = { answer, accepted, closed: await Promise.race([closed, sleep(3000, false)]) }
  socket.destroy()
  return result
}

/** Answered 413 and closed, having taken no more than the socket buffers hold (a few hundred KB). */
function expectRefusedUnread(pushed: Pushed): void {
  expect(pushed.accepted).toBeLessThan(BODY_LIMIT / 32)
  expect(pushed.closed).toBe(true)
  expect(pushed.answer).toMatch(/^HTTP\/1\.1 413 /)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tunscope-web-'))
  mkdirSync(join(dir, 'ui', 'assets'), { recursive: true })
  writeFileSync(join(dir, 'ui', 'index.html'), '<!doctype html><title>Tunscope</title>')
  writeFileSync(join(dir, 'ui', 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir, 'secret.txt'), 'not for the browser')
  service = new EngineService({ settingsFile: join(dir, 'config', 'settings.json'), baseDir: dir, application: 'tunscope test' })
  server = await startWebServer({ service, rendererDir: join(dir, 'ui'), port: 0 })
  token = new URL(server.url).searchParams.get('token')!
  origin = `127.0.0.1:${server.port}`
})

afterAll(async () => {
  await server.close()
  await service.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('tunscope serve web server', () => {
  it('prints a loopback URL with a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/)
  })

  it('refuses requests without the token, or with a wrong one', async () => {
    for (const path of ['/', '/assets/app.js', '/capture.pcapng', `/?token=${token.slice(1)}x`]) {
      const reply = await get(path)
      expect(reply.status, path).toBe(403)
      expect(reply.body.toString()).toMatch(/token/)
    }
  })

  it('serves the page with the token, sets a same-site cookie and a strict CSP', async () => {
    const reply = await get(`/?token=${token}`)
    expect(reply.status).toBe(200)
    expect(reply.body.toString()).toContain('<title>Tunscope</title>')
    expect(String(reply.headers['set-cookie'])).toMatch(/tunscope_token=.*HttpOnly.*SameSite=Strict/)
    expect(reply.headers['content-security-policy']).toMatch(/default-src 'self'.*frame-ancestors 'none'/)
    const asset = await get('/assets/app.js', { cookie: `tunscope_token=${token}` })
    expect(asset.status).toBe(200)
    expect(asset.headers['content-type']).toMatch(/javascript/)
  })

  it('refuses another host name for loopback (DNS rebinding)', async () => {
    const reply = await get(`/?token=${token}`, { host: `evil.example:${server.port}` })
    expect(reply.status).toBe(421)
  })

  it('never serves files outside the UI folder', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/%E0%A4%A']) {
      const reply = await get(path, { cookie: `tunscope_token=${token}` })
      expect(reply.status, path).toBe(404)
      expect(reply.body.toString()).not.toContain('not for the browser')
    }
  })

  it('opens the event stream only for our own page with the token', async () => {
    const refused = async (headers: Record<string, string>): Promise<void> => {
      const ws = new WebSocket(`ws://${origin}/engine`, { headers })
      await expect(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })).rejects.toThrow(/403/)
    }
    await refused({ cookie: `tunscope_token=${token}` }) // no Origin
    await refused({ cookie: `tunscope_token=${token}`, origin: 'http://evil.example' })
    await refused({ origin: `http://${origin}` }) // no token
    const stream = await openStream({ cookie: `tunscope_token=${token}`, origin: `http://${origin}` })
    const hello = stream.messages.find((m) => m.type === 'hello') ?? (await stream.next('hello'))
    expect(hello).toMatchObject({ type: 'hello', version: PROTOCOL_VERSION, status: { running: false, settings: DEFAULT_SETTINGS } })
    stream.ws.close()
  })

  it('answers a bad Start on its own stream with one sentence naming the form field, and stores nothing', async () => {
    const stream = await openStream({ cookie: `tunscope_token=${token}`, origin: `http://${origin}` })
    const other = await openStream({ cookie: `tunscope_token=${token}`, origin: `http://${origin}` })
    const refused = stream.next('settingsRejected')
    stream.ws.send(JSON.stringify({ type: 'start', settings: { ...DEFAULT_SETTINGS, hostIp: '192.168.100.300/24' } }))
    expect(await refused).toEqual({ type: 'settingsRejected', message: expect.stringMatching(/^Host address "192\.168\.100\.300\/24" .*\.$/) })
    // The stop that follows is answered with a status on both streams: nothing came before it.
    const status = other.next('status')
    stream.ws.send(JSON.stringify({ type: 'stop' }))
    expect(await status).toMatchObject({ running: false, problem: null, settings: DEFAULT_SETTINGS })
    expect(other.messages.filter((m) => m.type === 'settingsRejected' || m.type === 'status')).toHaveLength(1)
    expect(existsSync(join(dir, 'config', 'settings.json'))).toBe(false)
    stream.ws.close()
    other.ws.close()
  })

  it('ignores messages that are not commands', async () => {
    const stream = await openStream({ cookie: `tunscope_token=${token}`, origin: `http://${origin}` })
    for (const junk of ['not json', '{"type":"start"}', '{"type":"start","settings":{"transport":"x"}}', '{"type":"rm -rf"}', '[]']) stream.ws.send(junk)
    stream.ws.send(Buffer.from([1, 2, 3]))
    const status = stream.next('status')
    stream.ws.send(JSON.stringify({ type: 'stop' }))
    expect(await status).toMatchObject({ running: false })
    expect(stream.messages.filter((m) => m.type === 'status')).toHaveLength(1)
    stream.ws.close()
  })

  it('refuses a declared body with 413 before the token check, reading little of it, and closes', async () => {
    const pushed = await pushBody(`POST / HTTP/1.1\r\nHost: ${origin}\r\nContent-Length: ${2 ** 30}\r\n\r\n`, Buffer.alloc(64 * 1024, 'x'))
    expectRefusedUnread(pushed)
    expect(pushed.answer).toMatch(/\r\nConnection: close\r\n/)
    expect(pushed.answer).toMatch(/takes no request bodies/)
  })

  it('refuses a chunked body with no length the same way', async () => {
    const data = Buffer.alloc(64 * 1024 - 16, 'x')
    const chunk = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')])
    expectRefusedUnread(await pushBody(`GET /?token=${token} HTTP/1.1\r\nHost: ${origin}\r\nTransfer-Encoding: chunked\r\n\r\n`, chunk))
  })

  it('refuses a body on the event stream\'s upgrade request', async () => {
    const head = `GET /engine?token=${token} HTTP/1.1\r\nHost: ${origin}\r\nOrigin: http://${origin}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: ${2 ** 30}\r\n\r\n`
    expectRefusedUnread(await pushBody(head, Buffer.alloc(64 * 1024, 'x')))
  })

  it('serves a GET with an empty body declared', async () => {
    const reply = await get(`/?token=${token}`, { 'content-length': '0' })
    expect(reply.status).toBe(200)
  })

  it('downloads the capture as pcapng', async () => {
    const reply = await get('/capture.pcapng', { cookie: `tunscope_token=${token}` })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-disposition']).toMatch(/attachment; filename="tunscope-\d{8}-\d{6}\.pcapng"/)
    expect(reply.body.readUInt32LE(0)).toBe(0x0a0d0d0a) // section header block
  })
})
