// The selected frame's layers as a tree (FramePane adds the hex dump below it).
import type { FrameStore } from '../store/frameStore'
import { DetailsTree } from './DetailsTree'
import { useNodeSelection } from './useNodeSelection'
import { useRecordTree, type RecordTree } from './useRecordTree'
import './frames.css'

export interface FrameDetailsProps {
  store: FrameStore
  /** Absolute store index of the frame to show. */
  index: number | null
  baud: number
  /** Store time (ms) shown as 0.000000. */
  timeBase: number
  /** Bumps when the store changes: a frame the store drops stops being shown. */
  version: number
  /** The capture's interface names by port (StatusMessage.interfaces): the frame's device. */
  deviceNames?: readonly string[]
}

export function FrameDetails(props: FrameDetailsProps): React.JSX.Element {
  const record = useRecordTree(props.store, props.index, props.baud, props.timeBase, props.deviceNames)
  const [selected, select] = useNodeSelection(record)
  return <DetailsView record={record} requested={props.index} selected={selected} onSelect={select} />
}

export interface DetailsViewProps {
  record: RecordTree | null
  /** The index asked for: when set but record is null, the store has dropped that frame. */
  requested: number | null
  selected: string | null
  onSelect(path: string): void
}

export function DetailsView(props: DetailsViewProps): React.JSX.Element {
  const { record } = props
  return (
    <div className="details" data-testid="details">
      {record ? (
        <DetailsTree key={record.index} nodes={record.nodes} selected={props.selected} onSelect={props.onSelect} />
      ) : (
        <p className="muted-hint">
          {props.requested === null ? 'Select a frame to see its layers' : 'That frame is gone: the oldest frames make room for new ones'}
        </p>
      )}
    </div>
  )
}
