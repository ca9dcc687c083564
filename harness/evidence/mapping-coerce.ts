/**
 * From a raw value to what an EvidenceRecord field holds, by the field's kind (FieldKind in
 * contracts/evidence-mapping.ts), and the credential check every mapped value goes through: tokens
 * appear by SHA-256 only (docs/evidence-schema.md "No secrets"), so a value that looks like a
 * credential is hashed where a hash is the field's meaning and dropped everywhere else.
 */
import type { FieldKind } from '../contracts/evidence-mapping.ts'
import { tokenHash } from '../protocol/token-hash.ts'

export type Coerced =
  | { ok: true; value: unknown; hashed?: true }
  /**
   * `got`: the raw value as a message may show it; `expected`: what the field takes (kept apart so a
   * warning about many records reads the same each time). `secret`: it looked like a credential.
   */
  | { ok: false; got: string; expected: string; secret?: true }

/**
 * A JWT or JWE anywhere (also inside a URL or a header dump), an auth scheme with its credential,
 * a private key, or a credential in a query string.
 */
const CREDENTIAL = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.|\b(?:Bearer|DPoP|Basic)\s+[A-Za-z0-9._~+/-]{12,}|-----BEGIN [A-Z ]*PRIVATE KEY|\b(?:access_token|refresh_token|id_token|client_secret|client_assertion|password)=[^&\s]{6,}/i

export function looksLikeCredential(s: string): boolean {
  return s.length >= 16 && CREDENTIAL.test(s)
}

/** Any string inside a JSON value that looks like a credential. */
export function holdsCredential(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return looksLikeCredential(v)
  if (v === null || typeof v !== 'object' || depth > 32) return false
  return Object.values(v).some((x) => holdsCredential(x, depth + 1))
}

/** A raw value for a message: short, and never a credential. */
export function show(v: unknown): string {
  if (typeof v === 'string') return looksLikeCredential(v) ? 'a credential-looking value' : `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`
  if (Array.isArray(v)) return 'a list'
  if (v !== null && typeof v === 'object') return 'an object'
  return String(v)
}

const fail = (v: unknown, expected: string): Coerced => ({ ok: false, got: show(v), expected })
const SECRET: Coerced = { ok: false, got: 'a credential-looking value', expected: 'a credential', secret: true }

function text(v: unknown): Coerced {
  if (typeof v === 'number' || typeof v === 'boolean') return { ok: true, value: String(v) }
  if (typeof v !== 'string') return fail(v, 'text')
  return looksLikeCredential(v) ? SECRET : { ok: true, value: v }
}

const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i
const NUMERIC = /^-?\d+(?:\.\d+)?$/

/** Epoch seconds, ms, µs or ns, told apart by size (each unit's plausible range for 1973–5138). */
function epochMs(n: number): number {
  const a = Math.abs(n)
  return a < 1e11 ? n * 1000 : a < 1e14 ? n : a < 1e17 ? n / 1e3 : n / 1e6
}

function time(v: unknown): Coerced {
  let ms: number
  if (typeof v === 'number') ms = epochMs(v)
  else if (typeof v === 'string' && NUMERIC.test(v.trim())) ms = epochMs(Number(v.trim()))
  else if (typeof v === 'string') {
    const m = ISO.exec(v.trim())
    if (!m) return fail(v, 'a time (ISO 8601 or epoch)')
    // Date.parse reads a zone-less date-time as local time: audit logs without a zone are UTC.
    const zone = (m[4] ?? 'Z').toUpperCase().replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')
    ms = Date.parse(`${m[1]}T${m[2].length === 5 ? `${m[2]}:00` : m[2]}${m[3] ? `.${m[3].slice(0, 3).padEnd(3, '0')}` : ''}${zone}`)
  } else return fail(v, 'a time (ISO 8601 or epoch)')
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return fail(v, 'a time (ISO 8601 or epoch)')
  return { ok: true, value: new Date(Math.floor(ms)).toISOString() }
}

function status(v: unknown): Coerced {
  const n = typeof v === 'string' && /^\s*\d{1,3}\s*$/.test(v) ? Number(v) : v
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 599 ? { ok: true, value: n } : fail(v, 'an HTTP status (0–599)')
}

function oneOf(allowed: readonly string[]): (v: unknown) => Coerced {
  const describe = allowed.join(' or ')
  return (v) => {
    const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined
    return s !== undefined && allowed.includes(s) ? { ok: true, value: s } : fail(v, describe)
  }
}

function list(v: unknown): Coerced {
  // an OAuth `scope` value is space-separated; many logs join lists with commas
  const items = typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : v
  if (!Array.isArray(items)) return fail(v, 'a list or a space- or comma-separated string')
  const out: string[] = []
  for (const x of items) {
    const t = text(x)
    if (!t.ok) return t.secret ? SECRET : fail(v, 'a list of strings')
    out.push(t.value as string)
  }
  return { ok: true, value: out }
}

/** RFC 8693 §4.1: the outermost `act` is the current actor, each nested one the actor before it. */
function actors(v: unknown): Coerced {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return list(v)
  const out: unknown[] = []
  for (let node: unknown = v; node !== null && typeof node === 'object' && out.length < 32; node = (node as { act?: unknown }).act) {
    out.push((node as { sub?: unknown }).sub)
  }
  const chain = list(out)
  return chain.ok ? chain : fail(v, 'an act claim whose every level has a `sub`')
}

const TRACE_ID = /^[0-9a-f]{32}$/i
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}/i

function trace(v: unknown): Coerced {
  if (typeof v !== 'string') return fail(v, 'a trace-id or traceparent')
  const s = v.trim()
  const id = TRACE_ID.test(s) ? s : TRACEPARENT.exec(s)?.[1]
  // W3C Trace Context: an all-zero trace-id is invalid
  return id && !/^0+$/.test(id) ? { ok: true, value: id.toLowerCase() } : fail(v, 'a trace-id (32 hex digits) or a traceparent')
}

const B64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/
const HEX_SHA256 = /^[0-9a-f]{64}$/i
const B64_SHA256 = /^[A-Za-z0-9+/]{43}=$/

/** A SHA-256 in any usual spelling → base64url; anything else is taken for the raw token and hashed. */
function hash(v: unknown): Coerced {
  if (typeof v !== 'string') return fail(v, 'a SHA-256 hash or a token')
  const s = v.trim()
  if (B64URL_SHA256.test(s)) return { ok: true, value: s }
  if (HEX_SHA256.test(s)) return { ok: true, value: Buffer.from(s, 'hex').toString('base64url') }
  if (B64_SHA256.test(s)) return { ok: true, value: Buffer.from(s, 'base64').toString('base64url') }
  // shorter than any real token: a placeholder such as '-' or 'none', not something to hash
  if (s.length < 16) return fail(v, 'a SHA-256 hash or a token')
  // the hash of what was presented, as the DPoP `ath` is: without the auth scheme
  return { ok: true, value: tokenHash(s.replace(/^(?:Bearer|DPoP)\s+/i, '')), hashed: true }
}

function json(v: unknown): Coerced {
  return holdsCredential(v) ? SECRET : { ok: true, value: v }
}

const BY_KIND: Record<FieldKind, (v: unknown) => Coerced> = {
  text,
  time,
  status,
  decision: oneOf(['allow', 'deny']),
  'principal-type': oneOf(['user', 'agent', 'workload', 'anonymous']),
  list,
  actors,
  trace,
  hash,
  json,
}

export function coerce(kind: FieldKind, v: unknown): Coerced {
  return BY_KIND[kind](v)
}
