// `tunscope serve`'s event stream as the inspector page sees it, from a small WebSocket client run
// inside a namespace: the statuses as they come, and the answers to commands sent on its stdin.
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

import type { EngineMessage, SettingsRejectedMessage, StatusMessage } from '../../src/shared/protocol.js'
import type { Netns } from './netns.js'

/** A WebSocket client of the event stream, run inside the namespace: status lines out, command lines in. */
const EVENT_STREAM_CLIENT = `
const WebSocket = require('ws')
const page = new URL(process.argv[1])
const ws = new WebSocket('ws://' + page.host + '/engine?token=' + page.searchParams.get('token'), { headers: { origin: 'http://' + page.host } })
ws.on('message', (data, binary) => { if (!binary) process.stdout.write(data.toString() + '\\n') })
ws.on('open', () => require('readline').createInterface({ input: process.stdin }).on('line', (line) => ws.send(line)))
ws.on('close', () => process.exit(0))
`

/** The statuses `tunscope serve` at `url` sends, as they come, and a way to send it commands. */
export function eventStream(ns: Netns, url: string): { client: ChildProcess; statuses: StatusMessage[]; refusals: SettingsRejectedMessage[] } {
  const statuses: StatusMessage[] = []
  const refusals: SettingsRejectedMessage[] = []
  const client = ns.spawn(process.execPath, ['-e', EVENT_STREAM_CLIENT, url], { stdio: ['pipe', 'pipe', 'inherit'], cwd: process.cwd() })
  createInterface({ input: client.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as EngineMessage
    if (message.type === 'status') statuses.push(message)
    if (message.type === 'hello') statuses.push(message.status)
    if (message.type === 'settingsRejected') refusals.push(message)
  })
  return { client, statuses, refusals }
}
