// QEMU's machine protocol (QMP) over the pipes of a QEMU Tunscope started: one JSON object a line.
// Answers come in the order of the commands; events (objects with "event") are passed over. Only
// Tunscope writes to the pipe, so what comes back is trusted as QEMU's, but a line that is not
// JSON is passed over too.
import type { Writable } from 'node:stream'

import { UserError } from '../errors.js'

type Answer = { resolve(value: unknown): void; reject(error: Error): void }

export class QmpClient {
  private readonly waiting: Answer[] = []
  private closed = false

  constructor(private readonly input: Writable) {}

  /** Every line QEMU prints on standard output. */
  onLine(line: string): void {
    let message: { return?: unknown; error?: { desc?: string }; event?: string }
    try {
      message = JSON.parse(line) as typeof message
    } catch {
      return
    }
    if (typeof message !== 'object' || message === null || message.event !== undefined || !('return' in message || 'error' in message)) return
    const answer = this.waiting.shift()
    if (!answer) return
    if ('error' in message) answer.reject(new UserError(`QEMU refused a command: ${message.error?.desc ?? 'no reason given'}.`))
    else answer.resolve(message.return)
  }

  /** QEMU has gone: what waits for an answer gets none. */
  close(): void {
    this.closed = true
    for (const answer of this.waiting.splice(0)) answer.reject(new UserError('QEMU stopped before it answered.'))
  }

  command(execute: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new UserError('QEMU has stopped; it takes no more commands.'))
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.input.write(`${JSON.stringify(args ? { execute, arguments: args } : { execute })}\n`)
    })
  }

  /** A human monitor command (HMP), whose answer is the text it would have printed. */
  async human(commandLine: string): Promise<string> {
    const said = await this.command('human-monitor-command', { 'command-line': commandLine })
    return typeof said === 'string' ? said.trim() : ''
  }
}
