/** Number formatting shared by the text reporters, so the console and the Markdown report show the same figures. */

/** A 0–1 rate as a percentage; rates of 1 and 0 print without decimals so "100 %" reads as exact. */
export function pct(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return 'n/a'
  if (rate === 1) return '100%'
  if (rate === 0) return '0%'
  // Two decimals, but never round 99.996 % up to a misleading 100.00 %.
  return `${(Math.floor(rate * 10_000 + 1e-9) / 100).toFixed(2)}%`
}

export function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)
}

/** An observed gate value as k6 prints it: plain number, at most four decimals. */
export function observed(value: number | null): string {
  if (value === null) return 'no samples'
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)))
}

/** Reads `{ rate }` from a run.json metric entry, which is typed `unknown` for non-trend metrics. */
export function rateOf(metric: unknown): number | null {
  if (metric && typeof metric === 'object' && 'rate' in metric) {
    const r = (metric as { rate: unknown }).rate
    return typeof r === 'number' ? r : null
  }
  return null
}
