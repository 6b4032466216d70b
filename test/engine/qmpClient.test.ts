// QmpClient against what QEMU's standard output may hold besides answers: its greeting, events,
// lines that are not JSON, JSON that is no answer, an error answer, and QEMU going away with
// commands waiting. Answers are matched to commands in order, whatever comes between them.
import { PassThrough } from 'node:stream'

import { describe, expect, it } from 'vitest'

import { UserError } from '../../src/engine/errors'
import { QmpClient } from '../../src/engine/uplink/qmpClient'

function client(): { qmp: QmpClient; sent: string[] } {
  const input = new PassThrough()
  const sent: string[] = []
  input.on('data', (chunk: Buffer) => sent.push(...chunk.toString().split('\n').filter((l) => l !== '')))
  return { qmp: new QmpClient(input), sent }
}

describe('QmpClient', () => {
  it('writes one JSON command a line and matches answers in order, passing over everything else', async () => {
    const { qmp, sent } = client()
    const first = qmp.command('qmp_capabilities')
    const second = qmp.human('hostfwd_add slirp tcp:127.0.0.1:8080-192.168.100.2:80')
    for (const line of [
      '{"QMP": {"version": {}, "capabilities": ["oob"]}}',
      'qemu-system-x86_64: warning: hub 0 with no nics',
      '{"timestamp": {"seconds": 1}, "event": "NIC_RX_FILTER_CHANGED", "data": {}}',
      '{"return": {}',
      '[1, 2, 3]',
      'null',
      '"return"',
      '{"return": {}}',
      '{"event": "RESET", "return": "not an answer"}',
      '{"return": "Could not set up host forwarding rule \'tcp:127.0.0.1:8080-192.168.100.2:80\'\\r\\n"}'
    ]) qmp.onLine(line)
    await expect(first).resolves.toEqual({})
    await expect(second).resolves.toBe("Could not set up host forwarding rule 'tcp:127.0.0.1:8080-192.168.100.2:80'")
    await new Promise((resolve) => setImmediate(resolve))
    expect(sent.map((l) => JSON.parse(l))).toEqual([
      { execute: 'qmp_capabilities' },
      { execute: 'human-monitor-command', arguments: { 'command-line': 'hostfwd_add slirp tcp:127.0.0.1:8080-192.168.100.2:80' } }
    ])
  })

  it('turns an error answer into one sentence, and an answer nobody waits for into nothing', async () => {
    const { qmp } = client()
    qmp.onLine('{"return": "stray"}')
    const refused = qmp.command('no-such-command')
    qmp.onLine('{"error": {"class": "CommandNotFound", "desc": "The command no-such-command has not been found"}}')
    await expect(refused).rejects.toThrow(new UserError('QEMU refused a command: The command no-such-command has not been found.'))
  })

  it('fails what waits, and what comes after, once QEMU has gone', async () => {
    const { qmp } = client()
    const waiting = qmp.human('hostfwd_remove slirp tcp:127.0.0.1:8080')
    qmp.close()
    await expect(waiting).rejects.toThrow('QEMU stopped before it answered.')
    await expect(qmp.command('qmp_capabilities')).rejects.toThrow('QEMU has stopped; it takes no more commands.')
  })

  it('keeps up with a flood of events and junk between two answers, with nothing kept for them', async () => {
    const { qmp } = client()
    const answer = qmp.command('query-status')
    for (let i = 0; i < 100_000; i++) qmp.onLine(i % 2 ? `{"event": "E${i}"}` : 'x'.repeat(200))
    qmp.onLine('{"return": {"status": "running"}}')
    await expect(answer).resolves.toEqual({ status: 'running' })
  })
})
