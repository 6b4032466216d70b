// The inspector window: status bar, the start problem if any, the frame list
// with its filter, the selected frame's layers and bytes, rates and counters.
// On a first run, a start screen takes the workspace's place until a choice.
import { useCallback, useEffect, useMemo, useState } from 'react'

import type { BridgeSettings } from '../../shared/protocol'
import { compileFilter } from './lib/filter'
import { useEngine } from './state/useEngine'
import type { EngineConnection } from './transport/engineConnection'
import { CountersPanel } from './ui/CountersPanel'
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

  const compiled = useMemo(() => compileFilter(filterText), [filterText])
  const filterError = compiled.ok ? null : compiled.message
  useEffect(() => {
    // An invalid filter leaves the list as it was until the text is fixed.
    if (!compiled.ok) return
    view.setFilter(compiled.empty ? null : compiled.match)
    engine.refresh()
    // eslint-disable-next-line react-hooks/exhaustive-deps -- refresh is stable in effect
  }, [compiled, view])

  // The running bridge's baud, else the one in the settings (before the first stats).
  const baud = engine.stats?.baud ?? (Number(status?.settings.baud) || 0)
  const selectedIndex = selected !== null && store.has(selected) ? selected : null
  const selectFrame = useCallback((index: number): void => {
    if (view.rowOf(index) < 0) setFilterText('') // the frame is filtered out: show everything
    setFollow(false)
    setSelected(index)
  }, [view])
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
      <StatusBar connected={engine.connected} status={status} onStart={start} onStop={() => engine.send({ type: 'stop' })} onSettings={() => setEditing(true)} />
      {status?.problem && <ProblemBanner problem={status.problem} onRetry={start} createTun={connection.createTun} />}
      {status && <SettingsFileBanner unreadable={status.settingsUnreadable} unsaved={status.settingsUnsaved} />}
      {showStartScreen && <StartScreen settings={status.settings} baseDir={engine.baseDir} onStart={startWith} onSkip={() => setStartScreenClosed(true)} chooseSocketPath={connection.chooseSocketPath} />}
      <main className="workspace" hidden={showStartScreen}>
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
            rows={view.rows}
            held={store.size}
          />
          {exportNote && <p className="note" role="status">{exportNote}</p>}
          <div className="split-list">
          <FrameList
            store={store}
            view={view}
            version={engine.version}
            timeBase={engine.timeBase}
            baud={baud}
            selected={selectedIndex}
            onSelect={setSelected}
            follow={follow}
            onFollowChange={setFollow}
          />
          </div>
          <div className="split-pane">
            <FramePane store={store} index={selectedIndex} baud={baud} timeBase={engine.timeBase} version={engine.version} />
          </div>
        </section>
        <aside className="side">
          <RatesPanel stats={engine.stats} history={engine.history} />
          <CountersPanel stats={engine.stats} lastErrors={engine.lastErrors} timeBase={engine.timeBase} onSelect={selectFrame} />
          <TelemetryPanel telemetry={status?.telemetry ?? null} />
        </aside>
      </main>
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
