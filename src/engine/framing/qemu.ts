// QEMU's stream and socket netdevs (-netdev stream, -netdev socket, -nic
// socket), also spoken by passt and gvproxy: a 4-byte big-endian length, then
// the Ethernet frame without FCS. QEMU drops the connection when a length is
// over its NET_BUFSIZE (69 632), so no frame may be longer.
import { lengthPrefixFraming } from './lengthPrefix.js'

const QEMU_NET_BUFSIZE = 69_632

export const qemuFraming = lengthPrefixFraming({
  name: 'qemu',
  title: 'QEMU stream',
  recordName: 'QEMU stream record',
  prefixBytes: 4,
  limits: { defaultMaxFrame: 1514, largestFrame: QEMU_NET_BUFSIZE },
  defaultDeviceMac: '52:54:00:12:34:56' // QEMU's first NIC unless given macaddr=
})
