// Runs inside a test's network namespace (see tunAddon.netns.test.ts) and
// prints one JSON line with what it observed.
import { execFileSync } from 'node:child_process'

import { configureInterface, getInterface, openTun, type SystemCallError } from '../../src/native/index.js'
import { concat, DEVICE_IP, HOST_IP, icmpEcho, ipv4 } from '../helpers/frames.js'

const pick = (state: ReturnType<typeof getInterface>) => state && { name: state.name, mtu: state.mtu, up: state.up, kind: state.kind, driver: state.driver, address: state.address, prefixLength: state.prefixLength }
const out = (value: unknown): void => console.log(JSON.stringify(value))

async function main(step: string): Promise<void> {
  if (step === 'configure') {
    const tun = openTun('tsa0', 'tun')
    const before = pick(getInterface('tsa0'))
    configureInterface('tsa0', { address: '192.168.100.1', prefixLength: 24, mtu: 1486, up: true })
    const after = pick(getInterface('tsa0'))
    tun.close()
    out({ before, after, lo: { kind: getInterface('lo')!.kind }, missing: getInterface('nosuch0'), goneAfterClose: getInterface('tsa0') })
  } else if (step === 'echo') {
    const tun = openTun('tsa1', 'tun')
    configureInterface('tsa1', { address: '192.168.100.1', prefixLength: 24, mtu: 1486, up: true })
    const requests = [1, 2, 3].map((seq) => ipv4(DEVICE_IP, HOST_IP, 1, icmpEcho(8, 0x77, seq, new Uint8Array(32)), seq))
    const buffer = concat(requests)
    const spans = new Uint32Array(6)
    let at = 0
    requests.forEach((p, i) => {
      spans[2 * i] = at
      spans[2 * i + 1] = p.length
      at += p.length
    })
    const replies: number[] = []
    let batchCalls = 0
    const readBuffer = new Uint8Array(256 * 1024)
    let timer: NodeJS.Timeout | undefined
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 3000)
      tun.startReading(readBuffer, 16, 64, (count) => {
        batchCalls++
        for (let i = 0, pos = 0; i < count; i++) {
          const n = (readBuffer[pos]! << 8) | readBuffer[pos + 1]!
          const ip = pos + 16
          if (readBuffer[ip + 9] === 1 && readBuffer[ip + 20] === 0) replies.push((readBuffer[ip + 26]! << 8) | readBuffer[ip + 27]!)
          pos += 16 + n
        }
        if (replies.length >= 3) resolve()
      }, (code) => out({ readError: code }))
      out({ written: tun.writePackets(buffer, spans, 3) })
    })
    clearTimeout(timer)
    const lastWriteError = tun.lastWriteError
    tun.close()
    out({ written: 3, replies, batchCalls, lastWriteError })
  } else if (step === 'deleted') {
    // Deleted under an open fd: writes fail with EBADFD, an errno libuv has no name for.
    const tun = openTun('tsa4', 'tun')
    configureInterface('tsa4', { address: '192.168.100.1', prefixLength: 24, mtu: 1486, up: true })
    execFileSync('ip', ['link', 'del', 'tsa4'])
    const packet = ipv4(DEVICE_IP, HOST_IP, 1, icmpEcho(8, 0x77, 1, new Uint8Array(8)))
    const written = tun.writePackets(packet, Uint32Array.of(0, packet.length), 1)
    out({ written, lastWriteError: tun.lastWriteError })
    tun.close()
  } else if (step === 'errors') {
    const message = (f: () => unknown): unknown => {
      try {
        f()
        return 'no error'
      } catch (e) {
        return (e as Error).message
      }
    }
    const tun = openTun('tsa2', 'tun')
    let wrongKind: unknown
    try {
      openTun('tsa2', 'tap')
    } catch (e) {
      wrongKind = { code: (e as SystemCallError).code, syscall: (e as SystemCallError).syscall }
    }
    const badSpan = message(() => tun.writePackets(new Uint8Array(10), Uint32Array.of(5, 10), 1))
    tun.close()
    const tap = openTun('tsa3', 'tap')
    const tapKind = getInterface('tsa3')!.kind
    tap.close()
    out({
      tooLong: message(() => openTun('averyveryverylongname', 'tun')),
      wrongKind,
      afterClose: message(() => tun.writePackets(new Uint8Array(1), Uint32Array.of(0, 1), 1)),
      badSpan,
      tap: { kind: tapKind }
    })
  }
}

await main(process.argv[2]!)
