/** k6 duration strings: `90s`, `1m30s`, `500ms`, `2h`; a bare number means seconds (as k6 accepts). */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y

export function parseDuration(input: string | number): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input * 1000 : null
  const s = input.trim()
  if (s === '') return null
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s)
    if (!m) return null
    total += Number(m[1]) * UNIT_MS[m[2]]
  }
  return total
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const s = ms / 1000
  if (s < 60) return `${Number(s.toFixed(1))}s`
  const m = Math.floor(s / 60)
  const rest = Math.round(s - m * 60)
  return rest ? `${m}m${rest}s` : `${m}m`
}
