// Above the frame list: the display filter, pause, clear, follow, export, the list's columns and,
// while the demo device runs, its faults.
import type { DemoFault } from '../../../shared/demoFaults'
import { ColumnsMenu } from './ColumnsMenu'
import { FaultMenu } from './FaultMenu'
import type { ColumnKey, ColumnLayout } from './frameColumns'

interface Props {
  filterText: string
  filterError: string | null
  onFilterChange(text: string): void
  paused: boolean
  pausedFrames: number
  onPause(paused: boolean): void
  onClear(): void
  follow: boolean
  onFollow(follow: boolean): void
  onExport(): void
  /** Present while the demo device runs. */
  onDemoFault?: (fault: DemoFault) => void
  columns: ColumnLayout
  /** Shown columns the list has no room for now. */
  squeezedOut: readonly ColumnKey[]
  onColumnsChange(columns: ColumnLayout): void
  rows: number
  held: number
}

export function Toolbar(p: Props): React.JSX.Element {
  return (
    <div className="toolbar">
      <input
        className={`filter ${p.filterError ? 'invalid' : p.filterText.trim() ? 'valid' : ''}`}
        data-testid="filter"
        aria-label="Display filter"
        aria-invalid={p.filterError !== null}
        placeholder="Filter: icmp, tcp.port == 80, ip.addr == 192.168.100.2 && !arp, dir == to-device, errors"
        value={p.filterText}
        spellCheck={false}
        title={p.filterError ?? ''}
        onChange={(e) => p.onFilterChange(e.target.value)}
      />
      <button type="button" onClick={() => p.onPause(!p.paused)} aria-pressed={p.paused}>{p.paused ? `Resume${p.pausedFrames ? ` (${p.pausedFrames.toLocaleString('en-US')} not listed)` : ''}` : 'Pause'}</button>
      <button type="button" onClick={p.onClear}>Clear</button>
      <label className="check"><input type="checkbox" checked={p.follow} onChange={(e) => p.onFollow(e.target.checked)} /> Follow</label>
      <button type="button" onClick={p.onExport}>Export pcapng</button>
      <ColumnsMenu layout={p.columns} squeezedOut={p.squeezedOut} onChange={p.onColumnsChange} />
      {p.onDemoFault && <FaultMenu onFault={p.onDemoFault} />}
      <span className="muted rows" data-testid="row-count">{p.rows.toLocaleString('en-US')}{p.rows !== p.held ? ` of ${p.held.toLocaleString('en-US')}` : ''} frames</span>
      {p.filterError && <span className="filter-error" role="status" data-testid="filter-error">{p.filterError}</span>}
    </div>
  )
}
