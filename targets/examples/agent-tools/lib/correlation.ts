/** What ties a request to its audit record: W3C trace context, request id, token hashes. */
import { createHash } from 'node:crypto'

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/

/** The trace-id of a W3C `traceparent` header (Trace Context §3.2), or null if absent or invalid. */
export function traceIdOf(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined) return null
  const m = TRACEPARENT.exec(value.trim())
  if (m === null || m[1] === 'ff' || /^0+$/.test(m[2]) || /^0+$/.test(m[3])) return null
  return m[2]
}

/** `X-Request-Id`, bounded (it is client input that lands in the log). */
export function requestIdOf(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header
  return value === undefined || value === '' ? null : value.slice(0, 128)
}

/** base64url(SHA-256(value)): the RFC 9449 `ath` formula, used for tokens and proof jtis. */
export function sha256b64url(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

/** The `act` chain of RFC 8693 §4.1, current actor first. */
export function actorChain(act: unknown, limit = 16): string[] {
  const out: string[] = []
  let a = act as { sub?: unknown; act?: unknown } | undefined
  while (a !== undefined && a !== null && typeof a === 'object' && out.length < limit) {
    if (typeof a.sub !== 'string') break
    out.push(a.sub)
    a = a.act as typeof a
  }
  return out
}
