// The side panel's devices: the list's rows, the device chosen (whose chart and counters show,
// null: all devices'), its numbers and last framing errors, each record's baud by its device, and
// the Add device dialog's round trip (sent, then on the list or refused).
import { useEffect, useMemo, useState } from 'react'

import type { ExtraDeviceSettings } from '../../../shared/protocol'
import { deviceRows, type DeviceRow } from '../ui/deviceRows'
import type { DeviceSample } from './deviceHistory'
import type { EngineState, LastErrors } from './useEngine'

const NO_SAMPLES: readonly DeviceSample[] = []

export interface Devices {
  rows: DeviceRow[]
  /** The chosen device's row, or undefined: all devices. */
  chosen: DeviceRow | undefined
  choose(name: string | null): void
  samples: readonly DeviceSample[]
  numbers: DeviceSample | null
  lastErrors: LastErrors
  /** Each capture interface's device's baud (a record's UART time), else `baud`. */
  baudByPort: number[]
  /** The main device's baud on the running bridge, else the settings'. */
  baud: number
  adding: boolean
  /** A device was sent to the engine and its answer has not come. */
  pending: boolean
  openAdd(): void
  add(device: ExtraDeviceSettings): void
  closeAdd(): void
}

/** The last record of each framing error kind among the ports named `name` (a device re-added may have had another). */
function lastErrorsOf(byPort: ReadonlyMap<number, LastErrors>, interfaces: readonly string[], name: string): LastErrors {
  const merged: LastErrors = new Map()
  interfaces.forEach((n, port) => {
    if (n !== name) return
    for (const [code, occurrence] of byPort.get(port) ?? []) {
      if ((merged.get(code)?.index ?? -1) < occurrence.index) merged.set(code, occurrence)
    }
  })
  return merged
}

export function useDevices(engine: EngineState, interfaces: readonly string[]): Devices {
  const { status, stats } = engine
  const [chosenName, choose] = useState<string | null>(null)
  const [adding, setAdding] = useState(false)
  // The device sent to the engine, until its answer: it on the list, or a refusal.
  const [pendingName, setPendingName] = useState<string | null>(null)

  // A chosen device no longer on the list (removed) gives way to all devices.
  const rows = useMemo(() => (status ? deviceRows(status, stats) : []), [status, stats])
  const chosen = rows.find((r) => r.name === chosenName)
  const samples = chosen ? engine.deviceHistory.get(chosen.name) ?? NO_SAMPLES : NO_SAMPLES
  const lastErrors = useMemo(
    () => (chosen === undefined ? engine.lastErrors : lastErrorsOf(engine.lastErrorsByPort, interfaces, chosen.name)),
    // A new batch (version) may bring a newer error.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [chosen?.name, engine.version, interfaces, engine.lastErrors, engine.lastErrorsByPort]
  )

  useEffect(() => {
    // Added: the engine has it on the list now.
    if (pendingName !== null && status?.settings.devices?.some((d) => d.name === pendingName)) {
      setPendingName(null)
      setAdding(false)
    }
  }, [pendingName, status])
  useEffect(() => {
    if (engine.deviceRefused !== null) setPendingName(null)
  }, [engine.deviceRefused])

  // Each record's UART time at its own device's baud (the totals' baud is the devices' sum).
  const baud = stats?.devices?.[0]?.baud ?? stats?.baud ?? (Number(status?.settings.baud) || 0)
  const deviceBauds = stats?.devices
  const baudByPort = useMemo(() => interfaces.map((name) => deviceBauds?.find((d) => d.name === name)?.baud ?? baud), [interfaces, deviceBauds, baud])

  return {
    rows,
    chosen,
    choose,
    samples,
    numbers: samples.at(-1) ?? null,
    lastErrors,
    baudByPort,
    baud,
    adding,
    pending: pendingName !== null,
    openAdd: () => {
      engine.dismissDeviceRefused()
      setAdding(true)
    },
    add: (device) => {
      setPendingName(device.name)
      engine.send({ type: 'addDevice', device })
    },
    closeAdd: () => {
      setAdding(false)
      setPendingName(null)
      engine.dismissDeviceRefused()
    }
  }
}
