// The selected frame: details tree above, hex dump below, with a separator between them to give
// either more room. Selecting a tree node highlights its bytes; clicking a byte selects the
// narrowest node that covers it.
import { Group, Panel, Separator } from 'react-resizable-panels'

import { nodeAtPath, narrowestPathAt } from './recordTree'
import { DetailsView, type FrameDetailsProps } from './FrameDetails'
import { HexDump } from './HexDump'
import { useNodeSelection } from './useNodeSelection'
import { useRecordTree } from './useRecordTree'
import { useStoredSplit } from './useStoredSplit'
import './frames.css'

export type FramePaneProps = FrameDetailsProps

export function FramePane(props: FramePaneProps): React.JSX.Element {
  const record = useRecordTree(props.store, props.index, props.baud, props.timeBase, props.deviceNames)
  const [selected, select] = useNodeSelection(record)
  const split = useStoredSplit('tree-bytes', ['details-tree', 'details-bytes'])
  const node = record && selected ? nodeAtPath(record.nodes, selected) : null
  const highlight = node && node.length > 0 ? { start: node.start, length: node.length } : null

  const pickByte = (offset: number): void => {
    const path = record && narrowestPathAt(record.nodes, offset)
    if (path) select(path)
  }

  return (
    <Group orientation="vertical" className="frame-pane" defaultLayout={split.defaultLayout} onLayoutChanged={split.onLayoutChanged}>
      <Panel id="details-tree" defaultSize="65%" minSize={44}>
        <DetailsView record={record} requested={props.index} selected={selected} onSelect={select} />
      </Panel>
      <Separator className="splitter" aria-label="Resize the details tree and the bytes" />
      <Panel id="details-bytes" defaultSize="35%" minSize={32}>
        {record ? <HexDump bytes={record.bytes} highlight={highlight} onPickByte={pickByte} /> : <div className="hexdump" />}
      </Panel>
    </Group>
  )
}
