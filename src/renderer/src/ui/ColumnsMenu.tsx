// Which of the frame list's columns show: a check per column (Info always shows and takes the
// rest of the width), and back to the default widths and columns.
import { COLUMNS, DEFAULT_COLUMN_LAYOUT, setColumnHidden, type ColumnKey, type ColumnLayout } from './frameColumns'
import { MenuButton } from './MenuButton'

/** What a column that shows by itself (ColumnLayout.auto) waits for. */
const AUTO_NOTES: Partial<Record<ColumnKey, string>> = { dev: 'shows by itself with frames from several devices' }

interface Props {
  /** The layout as shown (shownLayout): a column that shows by itself is checked while it does. */
  layout: ColumnLayout
  /** Shown columns the list has no room for now. */
  squeezedOut: readonly ColumnKey[]
  onChange(layout: ColumnLayout): void
}

export function ColumnsMenu({ layout, squeezedOut, onChange }: Props): React.JSX.Element {
  return (
    <MenuButton label="Columns ▾" title="Show or hide the frame list's columns; drag a header's edge to resize" menuLabel="Columns">
      {(close) => (
        <>
          {COLUMNS.filter((c) => c.key !== 'info').map((c) => {
            const shown = !layout.hidden.includes(c.key)
            return (
              <button
                key={c.key} type="button" role="menuitemcheckbox" aria-checked={shown} tabIndex={-1}
                onClick={() => onChange(setColumnHidden(layout, c.key, shown))}
              >
                <span><span className="check-mark" aria-hidden="true">{shown ? '✓' : ''}</span>{c.title}</span>
                {shown && squeezedOut.includes(c.key)
                  ? <span className="muted">no room: widen the list</span>
                  : layout.auto.includes(c.key) && <span className="muted">{AUTO_NOTES[c.key]}</span>}
              </button>
            )
          })}
          <button type="button" role="menuitem" tabIndex={-1} onClick={() => { onChange(DEFAULT_COLUMN_LAYOUT); close() }}>
            Default columns and widths
          </button>
        </>
      )}
    </MenuButton>
  )
}
