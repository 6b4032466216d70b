// Each device's last minute of numbers, for its chart and counters when it is selected in the
// device list: the stats message's devices[] (DeviceStatsSnapshot), stamped with the message's
// time. Bounded: a device's samples by `limit`, the devices by the bridge (only those in the
// newest stats are kept). Pure, no DOM: unit-tested in node (test/renderer/deviceHistory.test.ts).
import type { DeviceStatsSnapshot, StatsMessage } from '../../../shared/protocol'

/** One device's numbers at one time (StatsMessage.at). */
export type DeviceSample = DeviceStatsSnapshot & { at: number }

export type DeviceHistory = ReadonlyMap<string, readonly DeviceSample[]>

export const NO_DEVICE_HISTORY: DeviceHistory = new Map()

/**
 * The history after `message`: each of its devices gets the new sample (at most `limit` kept), a
 * device it no longer has is forgotten. A message with no devices (the bridge stopped) leaves the
 * history as it was, so the devices' last numbers stay in sight until the next Start.
 */
export function nextDeviceHistory(history: DeviceHistory, message: StatsMessage, limit: number): DeviceHistory {
  if (message.devices.length === 0) return history
  const next = new Map<string, DeviceSample[]>()
  for (const device of message.devices) {
    const before = history.get(device.name) ?? []
    next.set(device.name, [...before.slice(Math.max(0, before.length - limit + 1)), { ...device, at: message.at }])
  }
  return next
}
