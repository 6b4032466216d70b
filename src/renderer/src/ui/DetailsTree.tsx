// The details tree: layers and fields with expand/collapse, one node selectable.
// Keys: Tab reaches every button; ↑/↓ move between nodes (selecting them), → expands, ← collapses
// or goes to the parent.
import { useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react'
import type { FieldNode } from '../../../engine/decode'
import { ancestorPaths, problemNote } from './recordTree'

export interface DetailsTreeProps {
  nodes: readonly FieldNode[]
  /** Path of the selected node ('2.0.3'), see recordTree.ts. */
  selected: string | null
  onSelect(path: string): void
}

/** Top-level layers start open. The parent keys this component by record, so each record starts so. */
function initiallyExpanded(nodes: readonly FieldNode[]): ReadonlySet<string> {
  return new Set(nodes.flatMap((n, i) => (n.children ? [String(i)] : [])))
}

export function DetailsTree(props: DetailsTreeProps): React.JSX.Element {
  const { nodes, selected, onSelect } = props
  const [expanded, setExpanded] = useState(() => initiallyExpanded(nodes))
  const [shownSelection, setShownSelection] = useState<string | null>(null)
  const rootRef = useRef<HTMLUListElement>(null)

  // A node selected from outside (a click in the hex dump) may sit in a closed layer: open its
  // ancestors during this render, so the node exists by the time it is scrolled to.
  if (selected !== shownSelection) {
    setShownSelection(selected)
    if (selected) {
      const closed = ancestorPaths(selected).filter((p) => !expanded.has(p))
      if (closed.length > 0) setExpanded(new Set([...expanded, ...closed]))
    }
  }

  useLayoutEffect(() => {
    if (selected) rootRef.current?.querySelector(`[data-path="${selected}"]`)?.scrollIntoView({ block: 'nearest' })
  }, [selected])

  const setOpen = (path: string, open: boolean): void => {
    setExpanded((prev) => {
      if (prev.has(path) === open) return prev
      const next = new Set(prev)
      if (open) next.add(path)
      else next.delete(path)
      return next
    })
  }

  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>): void => {
    const target = e.target as HTMLElement
    const path = target.dataset.path
    if (!path || e.altKey || e.ctrlKey || e.metaKey) return
    const hasChildren = target.getAttribute('aria-expanded') !== null
    const open = target.getAttribute('aria-expanded') === 'true'
    const labels = Array.from(rootRef.current?.querySelectorAll<HTMLElement>('[data-path]') ?? [])
    const at = labels.indexOf(target)
    let move: HTMLElement | undefined
    if (e.key === 'ArrowDown') move = labels[at + 1]
    else if (e.key === 'ArrowUp') move = labels[at - 1]
    else if (e.key === 'ArrowRight' && hasChildren && !open) setOpen(path, true)
    else if (e.key === 'ArrowRight' && open) move = labels[at + 1]
    else if (e.key === 'ArrowLeft' && open) setOpen(path, false)
    else if (e.key === 'ArrowLeft' && path.includes('.')) move = labels.find((l) => l.dataset.path === path.slice(0, path.lastIndexOf('.')))
    else return
    e.preventDefault()
    if (move) {
      move.focus()
      onSelect(move.dataset.path!)
    }
  }

  return (
    <ul ref={rootRef} className="tree" onKeyDown={onKeyDown}>
      {nodes.map((node, i) => (
        <TreeNode key={i} node={node} path={String(i)} depth={0} expanded={expanded} selected={selected} onSelect={onSelect} setOpen={setOpen} />
      ))}
    </ul>
  )
}

interface TreeNodeProps {
  node: FieldNode
  path: string
  depth: number
  expanded: ReadonlySet<string>
  selected: string | null
  onSelect(path: string): void
  setOpen(path: string, open: boolean): void
}

function TreeNode(props: TreeNodeProps): React.JSX.Element {
  const { node, path, depth, expanded, selected } = props
  const children = node.children
  const open = children !== undefined && expanded.has(path)
  const note = problemNote(node)
  const rowClass = ['tree-row', selected === path && 'is-selected', node.problem && 'has-problem'].filter(Boolean).join(' ')
  return (
    <li>
      <div className={rowClass} style={{ paddingLeft: `${depth * 1.25}em` }}>
        {children ? (
          <button
            type="button" className="tree-toggle" aria-label={open ? 'Collapse' : 'Expand'} aria-expanded={open}
            onClick={() => props.setOpen(path, !open)}
          >
            {open ? '▾' : '▸'}
          </button>
        ) : (
          <span className="tree-toggle" aria-hidden="true" />
        )}
        <button
          type="button" className="tree-label" data-path={path} data-start={node.start} data-length={node.length}
          aria-pressed={selected === path} aria-expanded={children ? open : undefined}
          title={node.problem ? `${node.label}\n${node.problem}` : node.label}
          onClick={() => props.onSelect(path)} onDoubleClick={() => children && props.setOpen(path, !open)}
        >
          {node.label}
          {note && <span className="tree-problem"> — {note}</span>}
        </button>
      </div>
      {open && (
        <ul className="tree-group">
          {children.map((child, i) => (
            <TreeNode {...props} key={i} node={child} path={`${path}.${i}`} depth={depth + 1} />
          ))}
        </ul>
      )}
    </li>
  )
}
