// Throughput per direction over the last minute against the UART's limit at
// the configured baud, with utilization and frames/s: all devices' totals, or
// the one selected in the device list (against its own line).
import { memo, useRef } from 'react'
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'

import type { StatsMessage } from '../../../shared/protocol'
import { bytesRate } from './format'
import { useHasSize } from './useHasSize'

/** The numbers the panel shows: a stats message's totals, or one device's (DeviceSample). */
export type RateNumbers = Pick<StatsMessage, 'at' | 'rates1s' | 'baud' | 'lineBytesPerSecond'>

interface Props {
  stats: RateNumbers | null
  history: readonly RateNumbers[]
  /** The device whose numbers these are; absent: the totals. */
  device?: string
  /** The totals of this many devices: their limit is their lines' together. */
  lines?: number
}

const percent = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`

/** Re-renders only when new stats arrive (once a second), not with every frame batch. */
const axisBytes = (v: number): string => (v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1000 ? `${+(v / 1000).toFixed(1)}k` : String(v))
/** 1, 2 or 5 times a power of ten, at least x: round axis ends. */
function niceCeiling(x: number): number {
  if (x <= 0) return 1
  const power = 10 ** Math.floor(Math.log10(x))
  return [1, 2, 5, 10].map((m) => m * power).find((v) => v >= x)!
}

export const RatesPanel = memo(function RatesPanel({ stats, history, device, lines = 1 }: Props): React.JSX.Element {
  const newest = history.at(-1)?.at ?? 0
  const data = history.map((s) => ({
    t: Math.round((s.at - newest) / 1000),
    toDevice: Math.round(s.rates1s.toDevice.bytesPerSecond),
    fromDevice: Math.round(s.rates1s.fromDevice.bytesPerSecond)
  }))
  const limit = stats?.lineBytesPerSecond ?? 0
  // The chart measures its box when it mounts: mounted in a hidden workspace it would be 0 × 0.
  const chartBox = useRef<HTMLDivElement>(null)
  const chartShows = useHasSize(chartBox)
  return (
    <section className="panel rates" data-testid="rates" data-device={device}>
      <h2>Throughput{device && <span className="panel-device" title={device}> · {device}</span>}</h2>
      <table className="rate-table">
        <thead><tr><th /><th>bytes/s</th><th>line</th><th>frames/s</th></tr></thead>
        <tbody>
          {(['toDevice', 'fromDevice'] as const).map((dir) => {
            const r = stats?.rates1s[dir]
            return (
              <tr key={dir} data-testid={`rate-${dir}`}>
                <th className={dir}>{dir === 'toDevice' ? '→ device' : '← device'}</th>
                <td>{bytesRate(r?.bytesPerSecond ?? 0)}</td>
                <td className={(r?.utilization ?? 0) > 1 ? 'over' : ''}>{limit > 0 ? percent(r?.utilization ?? 0) : '—'}</td>
                <td>{Math.round(r?.framesPerSecond ?? 0)}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
      {/* The limit line's caption, above the chart: inside it, a narrow panel would draw it over the axis. */}
      {limit > 0 && (
        <p className="rate-limit">
          {limit.toLocaleString('en-US')} B/s limit ({lines > 1 ? `${lines} devices' lines together` : `${stats?.baud.toLocaleString('en-US')} baud`})
        </p>
      )}
      <div className="chart" ref={chartBox}>
        {chartShows && <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
            <XAxis dataKey="t" type="number" domain={[-60, 0]} ticks={[-60, -45, -30, -15, 0]} unit=" s" stroke="var(--muted)" fontSize={11} />
            <YAxis stroke="var(--muted)" fontSize={11} width={48} allowDecimals={false} tickFormatter={axisBytes} domain={[0, (max: number) => niceCeiling(Math.max(max, limit * 1.15))]} />
            <Tooltip formatter={(v) => bytesRate(Number(v))} labelFormatter={(t) => `${String(t)} s`} contentStyle={{ background: 'var(--bg)', borderColor: 'var(--border)' }} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {limit > 0 && <ReferenceLine y={limit} stroke="var(--error-fg)" strokeDasharray="6 3" />}
            <Line type="monotone" dataKey="toDevice" name="→ device" stroke="var(--dir-to)" dot={false} isAnimationActive={false} />
            <Line type="monotone" dataKey="fromDevice" name="← device" stroke="var(--dir-from)" dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>}
      </div>
    </section>
  )
})
