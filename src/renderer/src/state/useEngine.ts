// The window's view of the engine: connection, status, the last stats and a
// minute of rate history (the totals', and each device's), and the frames (in a FrameStore; the list is
// re-rendered at most ten times a second however fast batches arrive: nobody
// reads faster, and a flood must not starve the page).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'

import { isTextRecord } from '../../../engine/counters'
import { readFrameBatch } from '../../../shared/frameBatch'
import type { BridgeSettings, StatsMessage, StatusMessage, UiCommand } from '../../../shared/protocol'
import { FrameStore } from '../store/frameStore'
import { FrameView } from '../store/frameView'
import { NO_DEVICE_HISTORY, nextDeviceHistory, type DeviceHistory } from './deviceHistory'
import type { EngineConnection } from '../transport/engineConnection'

const HISTORY_SECONDS = 60
const LIST_REFRESH_MS = 100

export interface ErrorOccurrence {
  /** Absolute store index of the last record of this kind, and its time. */
  index: number
  time: number
}

/** The last record of each framing error kind (by FramingError code). */
export type LastErrors = Map<number, ErrorOccurrence>

/** Settings the engine refused (nothing was stored, stopped or started): its sentence, and the settings to correct. */
export interface RefusedSettings {
  message: string
  settings: BridgeSettings
}

export interface EngineState {
  connected: boolean
  status: StatusMessage | null
  /** The engine never had settings saved: the window offers its start screen. */
  firstRun: boolean
  /** Where the engine resolves relative socket paths. */
  baseDir: string
  stats: StatsMessage | null
  /** The last settings this window sent, refused; null once dismissed. */
  refused: RefusedSettings | null
  /** Why the engine refused the forwards this window last sent (one sentence); null until then, and again once new ones are sent. */
  forwardsRefused: string | null
  /** Why the engine refused the device this window last added or removed (one sentence); null until then, and again once another is sent. */
  deviceRefused: string | null
  history: StatsMessage[]
  /** Each running device's last minute of numbers, by name (the last run's after Stop). */
  deviceHistory: DeviceHistory
  timeOrigin: number
  store: FrameStore
  view: FrameView
  version: number
  paused: boolean
  /** Frames that arrived while paused (not added to the list). */
  pausedFrames: number
  lastErrors: LastErrors
  /** The same per capture port (device): StatusMessage.interfaces names them. */
  lastErrorsByPort: ReadonlyMap<number, LastErrors>
  /** Time (store ms) of the first frame held, for relative times. */
  timeBase: number
  send(command: UiCommand): void
  dismissRefused(): void
  dismissDeviceRefused(): void
  setPaused(paused: boolean): void
  clear(): void
  refresh(): void
}

export function useEngine(connection: EngineConnection): EngineState {
  const store = useMemo(() => new FrameStore(), [])
  const view = useMemo(() => new FrameView(store), [store])
  const [connected, setConnected] = useState(false)
  const [status, setStatus] = useState<StatusMessage | null>(null)
  const [firstRun, setFirstRun] = useState(false)
  const [baseDir, setBaseDir] = useState('')
  const [stats, setStats] = useState<StatsMessage | null>(null)
  const [refused, setRefused] = useState<RefusedSettings | null>(null)
  // The engine answers a refusal without the settings: they are the last ones this window sent.
  const lastSentSettings = useRef<BridgeSettings | null>(null)
  // Which of the two a refusal answers: settings (the dialog shows it) or forwards (their editor does).
  const lastSent = useRef<'settings' | 'forwards' | 'device' | null>(null)
  const [forwardsRefused, setForwardsRefused] = useState<string | null>(null)
  const [deviceRefused, setDeviceRefused] = useState<string | null>(null)
  const [history, setHistory] = useState<StatsMessage[]>([])
  const [deviceHistory, setDeviceHistory] = useState<DeviceHistory>(NO_DEVICE_HISTORY)
  const [timeOrigin, setTimeOrigin] = useState(0)
  const [version, setVersion] = useState(0)
  const [paused, setPausedState] = useState(false)
  const pausedRef = useRef(false)
  const pausedFrames = useRef(0)
  const lastErrors = useRef<LastErrors>(new Map())
  const lastErrorsByPort = useRef(new Map<number, LastErrors>())
  const timeBase = useRef<number | null>(null)
  const renderScheduled = useRef(false)

  const scheduleRender = useCallback(() => {
    if (renderScheduled.current) return
    renderScheduled.current = true
    setTimeout(() => {
      renderScheduled.current = false
      setVersion((v) => v + 1)
    }, LIST_REFRESH_MS)
  }, [])

  useEffect(() => connection.connect({
    connection: setConnected,
    message: (message) => {
      if (message.type === 'hello') {
        setTimeOrigin(message.timeOrigin)
        setStatus(message.status)
        setFirstRun(message.firstRun)
        setBaseDir(message.baseDir)
      } else if (message.type === 'status') {
        setStatus(message)
      } else if (message.type === 'stats') {
        setStats(message)
        setHistory((h) => [...h.slice(-HISTORY_SECONDS), message])
        // An engine from before several devices sends none.
        if (Array.isArray(message.devices)) setDeviceHistory((h) => nextDeviceHistory(h, message, HISTORY_SECONDS + 1))
      } else if (message.type === 'settingsRejected' && lastSent.current === 'forwards') {
        setForwardsRefused(message.message)
      } else if (message.type === 'settingsRejected' && lastSent.current === 'device') {
        setDeviceRefused(message.message)
      } else if (message.type === 'settingsRejected' && lastSentSettings.current) {
        setRefused({ message: message.message, settings: lastSentSettings.current })
      }
    },
    frames: (batch) => {
      if (pausedRef.current) {
        pausedFrames.current += Math.max(0, readFrameBatch(batch, () => {}))
        scheduleRender()
        return
      }
      const from = store.nextIndex
      readFrameBatch(batch, (record) => {
        const index = store.append(record)
        if (record.error !== 0 && !isTextRecord(record.error)) {
          const occurrence = { index, time: record.time }
          lastErrors.current.set(record.error, occurrence)
          const port = record.port ?? 0
          let ofPort = lastErrorsByPort.current.get(port)
          if (!ofPort) lastErrorsByPort.current.set(port, (ofPort = new Map()))
          ofPort.set(record.error, occurrence)
        }
      })
      if (store.size > 0) timeBase.current ??= store.time(store.firstIndex)
      view.added(from, store.nextIndex)
      scheduleRender()
    }
  }), [connection, store, view, scheduleRender])

  return {
    connected,
    status,
    firstRun,
    baseDir,
    stats,
    refused,
    forwardsRefused,
    deviceRefused,
    history,
    deviceHistory,
    timeOrigin,
    store,
    view,
    version,
    paused,
    pausedFrames: pausedFrames.current,
    lastErrors: lastErrors.current,
    lastErrorsByPort: lastErrorsByPort.current,
    timeBase: timeBase.current ?? 0,
    send: (command) => {
      if (command.type === 'start' || command.type === 'saveSettings') {
        lastSentSettings.current = command.settings
        lastSent.current = 'settings'
      } else if (command.type === 'setForwards') {
        lastSent.current = 'forwards'
        setForwardsRefused(null)
      } else if (command.type === 'addDevice' || command.type === 'removeDevice') {
        lastSent.current = 'device'
        setDeviceRefused(null)
      }
      connection.send(command)
    },
    dismissRefused: () => setRefused(null),
    dismissDeviceRefused: () => setDeviceRefused(null),
    setPaused: (next) => {
      pausedRef.current = next
      if (!next) pausedFrames.current = 0
      setPausedState(next)
    },
    clear: () => {
      store.clear() // the view forgets cleared frames by itself
      lastErrors.current.clear()
      lastErrorsByPort.current.clear()
      timeBase.current = null
      setVersion((v) => v + 1)
    },
    refresh: () => setVersion((v) => v + 1)
  }
}
