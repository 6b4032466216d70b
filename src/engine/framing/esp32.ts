// The ESP32 firmware's UART tunnel: a 2-byte big-endian length, then the
// Ethernet frame. The firmware refuses frames over 1500 bytes, header included.
import { lengthPrefixFraming } from './lengthPrefix.js'

export const esp32Framing = lengthPrefixFraming({
  name: 'esp32',
  title: 'ESP32 UART tunnel',
  recordName: 'UART record',
  prefixBytes: 2,
  limits: { defaultMaxFrame: 1500, largestFrame: 0xffff },
  defaultDeviceMac: '02:00:00:00:00:02' // the firmware's
})
