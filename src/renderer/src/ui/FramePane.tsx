// The selected frame: details tree above, hex dump below. Selecting a tree node highlights its
// bytes; clicking a byte selects the narrowest node that covers it.
import { nodeAtPath, narrowestPathAt } from './recordTree'
import { DetailsView, type FrameDetailsProps } from './FrameDetails'
import { HexDump } from './HexDump'
import { useNodeSelection } from './useNodeSelection'
import { useRecordTree } from './useRecordTree'
import './frames.css'

export type FramePaneProps = FrameDetailsProps

export function FramePane(props: FramePaneProps): React.JSX.Element {
  const record = useRecordTree(props.store, props.index, props.baud, props.timeBase)
  const [selected, select] = useNodeSelection(record)
  const node = record && selected ? nodeAtPath(record.nodes, selected) : null
  const highlight = node && node.length > 0 ? { start: node.start, length: node.length } : null

  const pickByte = (offset: number): void => {
    const path = record && narrowestPathAt(record.nodes, offset)
    if (path) select(path)
  }

  return (
    <div className="frame-pane">
      <DetailsView record={record} requested={props.index} selected={selected} onSelect={select} />
      {record && <HexDump bytes={record.bytes} highlight={highlight} onPickByte={pickByte} />}
    </div>
  )
}
