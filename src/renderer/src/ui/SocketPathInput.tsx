// A unix socket path field, with the native file picker where there is one (Electron).
interface Props {
  value: string
  onChange(path: string): void
  chooseSocketPath?: (current: string) => Promise<string | null>
  /** For a <label htmlFor>; a wrapping <label> needs none. */
  id?: string
}

export function SocketPathInput({ value, onChange, chooseSocketPath, id }: Props): React.JSX.Element {
  return (
    <span className="with-button">
      <input id={id} name="socket" value={value} spellCheck={false} onChange={(e) => onChange(e.target.value)} />
      {chooseSocketPath && <button type="button" onClick={() => void chooseSocketPath(value).then((path) => path && onChange(path))}>Choose…</button>}
    </span>
  )
}
