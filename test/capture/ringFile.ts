// A capture ring written to a file the way the app's Export and the CLI's --pcap do: a writer from
// `from` (the ring's tail for Export), closed at once; the writer must report no error.
import { openSync } from 'node:fs'
import { join } from 'node:path'

import { expect } from 'vitest'

import type { CaptureRing } from '../../src/engine/capture/ring.js'
import { PcapngWriter } from '../../src/engine/capture/pcapngWriter.js'

export async function writeRingFile(ring: CaptureRing, folder: string, name: string, from: number): Promise<string> {
  const file = join(folder, name)
  const errors: Error[] = []
  const writer = new PcapngWriter(ring, { fd: openSync(file, 'w') }, { application: 'tunscope capture test', from, onError: (e) => errors.push(e) })
  writer.start()
  await writer.close()
  expect(errors).toEqual([])
  return file
}
