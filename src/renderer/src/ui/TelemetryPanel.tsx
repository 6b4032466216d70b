// The demo device's last telemetry reading as the engine received it: its
// fields in a compact table, values as sent, when it came and how many did.
// Shown once there is a reading, or a sentence on why none can come (the
// port is taken).
import { memo } from 'react'

import type { TelemetryCounts, TelemetryStatus } from '../../../shared/protocol'
import './telemetry.css'

const IGNORED: [Exclude<keyof TelemetryCounts, 'datagrams' | 'readings'>, string][] = [
  ['notFromDevice', 'not from the device'],
  ['overRate', 'over the rate (flood)'],
  ['oversized', 'oversized'],
  ['notJson', 'not JSON'],
  ['notReading', 'not a reading']
]

const count = (n: number): string => n.toLocaleString('en-US')

/** Re-renders with a new status (at most once a second while readings come). */
export const TelemetryPanel = memo(function TelemetryPanel({ telemetry }: { telemetry: TelemetryStatus | null }): React.JSX.Element | null {
  if (!telemetry || (!telemetry.last && !telemetry.problem)) return null
  const { last, counts, problem } = telemetry
  const ignored = counts.datagrams - counts.readings
  const ignoredWhy = IGNORED.filter(([key]) => counts[key] > 0).map(([key, text]) => `${count(counts[key])} ${text}`).join(', ')
  return (
    <section className="panel telemetry" data-testid="telemetry" aria-labelledby="telemetry-title">
      <h2 id="telemetry-title" title={telemetry.listening ? `JSON datagrams to UDP ${telemetry.listening}` : undefined}>Device telemetry</h2>
      {problem && <p className="telemetry-problem" role="status">{problem}</p>}
      {last && (
        <>
          <table>
            <tbody>
              {last.fields.map(([name, value]) => (
                <tr key={name}><th>{name}</th><td className="num">{String(value)}</td></tr>
              ))}
            </tbody>
          </table>
          <p className="muted telemetry-meta" data-testid="telemetry-meta">
            {count(counts.readings)} {counts.readings === 1 ? 'reading' : 'readings'}, the last at {new Date(last.at).toLocaleTimeString()}
            {ignored > 0 && <span className="telemetry-ignored" title={ignoredWhy}> · {count(ignored)} ignored</span>}
          </p>
        </>
      )}
    </section>
  )
})
