// The inspector window: status bar, the start problem if any, the frame list
// with its filter, the selected frame's layers and bytes, the devices, rates
// and counters (all devices', or the selected device's).
// On a first run, a start screen takes the workspace's place until a choice.
import { useCallback, useEffect, useMemo, useState } from 'react'
import { Group, Panel, Separator } from 'react-resizable-panels'

import { framingFor } from '../../engine/framing'
import { DEFAULT_SETTINGS, type BridgeSettings } from '../../shared/protocol'
import { compileFilter } from './lib/filter'
import { useDevices } from './state/useDevices'
import { useEngine } from './state/useEngine'
import type { EngineConnection } from './transport/engineConnection'
import { AddDeviceDialog } from './ui/AddDeviceDialog'
import { CountersPanel } from './ui/CountersPanel'
import { suggestedName } from './ui/deviceRows'
import { DevicesPanel } from './ui/DevicesPanel'
import { shownLayout, type ColumnKey } from './ui/frameColumns'
import { FrameList } from './ui/FrameList'
import { FramePane } from './ui/FramePane'
import { ProblemBanner } from './ui/ProblemBanner'
import { RatesPanel } from './ui/RatesPanel'
import { SettingsDialog } from './ui/SettingsDialog'
import { SettingsFileBanner } from './ui/SettingsFileBanner'
import { StartScreen } from './ui/StartScreen'
import { StatusBar } from './ui/StatusBar'
import { TelemetryPanel } from './ui/TelemetryPanel'
import { Toolbar } from './ui/Toolbar'
import { useColumnLayout } from './ui/useColumnLayout'
import { useStoredSplit } from './ui/useStoredSplit'

const NO_INTERFACES: readonly string[] = []

export function App({ connection }: { connection: EngineConnection }): React.JSX.Element {
  const engine = useEngine(connection)
  const { store, view, status } = engine
  const [filterText, setFilterText] = useState('')
  const [selected, setSelected] = useState<number | null>(null)
  const [follow, setFollow] = useState(true)
  const [editing, setEditing] = useState(false)
  const [exportNote, setExportNote] = useState<string | null>(null)
  // Once closed (a choice or Skip), not offered again in this window.
  const [startScreenClosed, setStartScreenClosed] = useState(false)
  const [columns, setColumns] = useColumnLayout()
  const [squeezedOut, setSqueezedOut] = useState<ColumnKey[]>([])
  const sideSplit = useStoredSplit('workspace-side', ['frames', 'side'])
  const listSplit = useStoredSplit('list-pane', ['frame-list', 'frame-pane'])

  // `dev == NAME` looks names up in the capture's interfaces: compiled again when one is added.
  // The same array while the names are the same: a status that changes something else compiles nothing again.
  const interfacesKey = (status?.interfaces ?? NO_INTERFACES).join('\n')
  // eslint-disable-next-line react-hooks/exhaustive-deps -- interfacesKey stands for the names
  const interfaces = useMemo(() => status?.interfaces ?? NO_INTERFACES, [interfacesKey])
  const compiled = useMemo(() => compileFilter(filterText, { interfaces }), [filterText, interfaces])
  const filterError = compiled.ok ? null : compiled.message
  useEffect(() => {
    // An invalid filter leaves the list as it was until the text is fixed.
    if (!compiled.ok) return
    view.setFilter(compiled.empty ? null : compiled.match)
    engine.refresh()
    // eslint-disable-next-line react-hooks/exhaustive-deps -- refresh is stable in effect
  }, [compiled, view])

  const devices = useDevices(engine, interfaces)
  const { baud, baudByPort } = devices
  const selectedDevice = devices.chosen?.name ?? null
  // The Device column shows by itself once the list holds frames of more than one device.
  const severalDevices = store.devicesSeen > 1
  const shownColumns = useMemo(() => shownLayout(columns, (key: ColumnKey) => key !== 'dev' || severalDevices), [columns, severalDevices])
  const { framing: framingName, payload } = devices.chosen ?? status?.settings ?? DEFAULT_SETTINGS
  const framing = framingFor(framingName, payload)
  const selectedIndex = selected !== null && store.has(selected) ? selected : null
  const selectedBaud = selectedIndex !== null ? baudByPort[store.port(selectedIndex)] ?? baud : baud
  const selectFrame = useCallback((index: number): void => {
    if (view.rowOf(index) < 0) setFilterText('') // the frame is filtered out: show everything
    setFollow(false)
    setSelected(index)
  }, [view])
  // A bridge that ran in this window (serve --start) has made its choice: Stop returns to the frames, not to the choice.
  const bridgeRan = status?.running === true
  useEffect(() => {
    if (bridgeRan) setStartScreenClosed(true)
  }, [bridgeRan])
  const showStartScreen = engine.firstRun && !startScreenClosed && status !== null && !status.running
  const startWith = (settings: BridgeSettings): void => {
    setStartScreenClosed(true)
    engine.send({ type: 'start', settings })
  }
  const start = (): void => {
    if (status) startWith(status.settings)
  }
  // Settings the engine refused come back in the dialog, with its sentence, to be corrected.
  const refused = engine.refused
  const closeSettings = (): void => {
    setEditing(false)
    engine.dismissRefused()
  }
  const exportCapture = async (): Promise<void> => {
    const result = await connection.exportPcapng()
    setExportNote(result.saved ? `Saved ${result.path}` : result.message)
  }

  return (
    <div className="app">
      {/* While the start screen shows, its own buttons start things: the bar offers no Start beside them. */}
      <StatusBar
        connected={engine.connected}
        status={status}
        onStart={showStartScreen ? undefined : start}
        onStop={() => engine.send({ type: 'stop' })}
        onSettings={() => setEditing(true)}
        forwardsRefused={engine.forwardsRefused}
        onSetForwards={(forwards) => engine.send({ type: 'setForwards', forwards })}
      />
      {status?.problem && (
        <ProblemBanner
          problem={status.problem}
          onRetry={start}
          createTun={connection.createTun}
          onUseUserNet={() => startWith({ ...status.settings, interfaceKind: 'user' })}
        />
      )}
      {status && <SettingsFileBanner unreadable={status.settingsUnreadable} unsaved={status.settingsUnsaved} />}
      {showStartScreen && <StartScreen settings={status.settings} baseDir={engine.baseDir} onStart={startWith} onSkip={() => setStartScreenClosed(true)} chooseSocketPath={connection.chooseSocketPath} />}
      <main className="workspace" hidden={showStartScreen}>
        <Group orientation="horizontal" defaultLayout={sideSplit.defaultLayout} onLayoutChanged={sideSplit.onLayoutChanged}>
          <Panel id="frames" minSize={440}>
            <section className="frames">
              <Toolbar
                filterText={filterText}
                filterError={filterError}
                onFilterChange={setFilterText}
                paused={engine.paused}
                pausedFrames={engine.pausedFrames}
                onPause={engine.setPaused}
                onClear={() => { engine.clear(); setSelected(null) }}
                follow={follow}
                onFollow={setFollow}
                onExport={() => void exportCapture()}
                onDemoFault={status?.demo ? (fault) => engine.send({ type: 'demoFault', fault }) : undefined}
                columns={shownColumns}
                squeezedOut={squeezedOut}
                onColumnsChange={setColumns}
                rows={view.rows}
                held={store.size}
              />
              {exportNote && <p className="note" role="status">{exportNote}</p>}
              <Group orientation="vertical" className="frames-split" defaultLayout={listSplit.defaultLayout} onLayoutChanged={listSplit.onLayoutChanged}>
                <Panel id="frame-list" defaultSize="50%" minSize={96}>
                  <FrameList
                    store={store}
                    view={view}
                    version={engine.version}
                    timeBase={engine.timeBase}
                    baud={baud}
                    baudByPort={baudByPort}
                    deviceNames={interfaces}
                    selected={selectedIndex}
                    onSelect={setSelected}
                    follow={follow}
                    onFollowChange={setFollow}
                    columns={shownColumns}
                    onColumnsChange={setColumns}
                    onSqueezedOut={setSqueezedOut}
                  />
                </Panel>
                <Separator className="splitter" aria-label="Resize the frame list and the selected frame" />
                <Panel id="frame-pane" defaultSize="50%" minSize={96}>
                  <FramePane store={store} index={selectedIndex} baud={selectedBaud} timeBase={engine.timeBase} version={engine.version} deviceNames={interfaces} />
                </Panel>
              </Group>
            </section>
          </Panel>
          <Separator className="splitter" aria-label="Resize the frames and the side panel" />
          <Panel id="side" defaultSize="22%" minSize={260} maxSize="50%">
            <aside className="side">
              {status && (
                <DevicesPanel
                  status={status}
                  stats={engine.stats}
                  selected={selectedDevice}
                  onSelect={devices.choose}
                  onAdd={devices.openAdd}
                  onRemove={(name) => engine.send({ type: 'removeDevice', name })}
                  refusal={devices.adding ? null : engine.deviceRefused}
                />
              )}
              {selectedDevice === null
                ? <RatesPanel stats={engine.stats} history={engine.history} lines={engine.stats?.devices?.length} />
                : <RatesPanel stats={devices.numbers} history={devices.samples} device={selectedDevice} />}
              <CountersPanel
                counters={selectedDevice === null ? engine.stats?.counters ?? null : devices.numbers?.counters ?? null}
                notShown={selectedDevice === null ? engine.stats?.notShown ?? 0 : 0}
                device={selectedDevice ?? undefined}
                framing={framing} lastErrors={devices.lastErrors} timeBase={engine.timeBase} onSelect={selectFrame}
              />
              <TelemetryPanel telemetry={status?.telemetry ?? null} />
            </aside>
          </Panel>
        </Group>
      </main>
      {devices.adding && status && (
        <AddDeviceDialog
          suggestedName={suggestedName(devices.rows)}
          taken={devices.rows.map((r) => r.name)}
          refusal={engine.deviceRefused}
          pending={devices.pending}
          onAdd={devices.add}
          onCancel={devices.closeAdd}
          chooseSocketPath={connection.chooseSocketPath}
        />
      )}
      {(editing || refused) && status && (
        <SettingsDialog
          key={refused?.message ?? 'editing'}
          settings={refused?.settings ?? status.settings}
          refusal={refused?.message ?? null}
          chooseSocketPath={connection.chooseSocketPath}
          onCancel={closeSettings}
          onSave={(settings, andStart) => {
            closeSettings()
            engine.send(andStart ? { type: 'start', settings } : { type: 'saveSettings', settings })
          }}
        />
      )}
    </div>
  )
}
