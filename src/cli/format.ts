// Human-readable figures for status lines.

export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`
  return `${(n / 1e9).toFixed(2)} GB`
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`
}

export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`
}

/** A count in at most five characters: 9999, 12.3k, 123k, 1.2M. */
export function formatCount(n: number): string {
  if (n < 10_000) return String(n)
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e5 ? 1 : 0)}k`
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e8 ? 1 : 0)}M`
  return `${(n / 1e9).toFixed(1)}G`
}

/** Bytes without the space and the B: 980, 1.2k, 11.5k, 2.3M. */
export function formatBytesShort(n: number): string {
  return formatBytes(n).replace(/ ?B$/, '').replace(' ', '')
}
