/**
 * How long a rate-limited or unavailable log API asks to be left alone: `Retry-After` (RFC 9110
 * §10.2.3, delta-seconds or an HTTP-date), else the reset time the big identity providers send
 * instead (Okta's `X-Rate-Limit-Reset`, GitHub's `X-RateLimit-Reset`: epoch seconds). The caller caps
 * what it waits; this only reads what the server said.
 */
import type { HttpHeaders } from '../protocol/http.ts'

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)?.trim()

/** Milliseconds to wait from `now` (0 for a time already past), or null when the response names none. */
export function retryAfterMs(headers: HttpHeaders, now: number = Date.now()): number | null {
  const retryAfter = first(headers['retry-after'])
  if (retryAfter !== undefined && retryAfter !== '') {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000
    const at = Date.parse(retryAfter)
    if (!Number.isNaN(at)) return Math.max(0, at - now)
  }
  const reset = first(headers['x-rate-limit-reset'] ?? headers['x-ratelimit-reset'])
  if (reset !== undefined && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now)
  return null
}

/**
 * A 403 that is a rate limit, not a refusal of the credentials: GitHub answers its limits with 403
 * and `X-RateLimit-Remaining: 0` or a `Retry-After`.
 */
export function isRateLimit403(headers: HttpHeaders): boolean {
  return first(headers['x-ratelimit-remaining']) === '0' || first(headers['x-rate-limit-remaining']) === '0' || first(headers['retry-after']) !== undefined
}
