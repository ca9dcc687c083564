/**
 * A case's prepared material as it crosses to a worker thread. Structured clone copies a class
 * instance as a plain object (methods, getters and #private fields lost) and refuses functions, so
 * the material is encoded first: plain data passes as is; identity keys go as exportIdentityKey
 * strings; identities and credentials (class instances: population/enroll.ts's ProvisionedIdentity,
 * also for the fresh identities a case enrolls) go as plain RunIdentity / Credential fields plus the
 * resource the identity's token is for, which is all a case may use of them. Anything else with
 * behaviour makes the material not portable, and the main thread fires that case for the workers:
 * in this version the material holding the workforce IdP (population-view based authorization-
 * server cases, escalate.typ-confusion, the offboarded-agent cases) or a self-renewing identity
 * (Renewing). Re-running prepare() per worker is no way out: it registers identities or changes
 * target-wide state (key rotation).
 */
import { KeyObject } from 'node:crypto'
import { identityKeyFrom, exportIdentityKey } from '../../protocol/identity-key.ts'
import type { IdentityKey } from '../../contracts/identity.ts'

const KEY_TAG = '__gatecrash_identity_key'

class NotPortable extends Error {}

function isPlain(o: object): boolean {
  const proto = Object.getPrototypeOf(o)
  return proto === Object.prototype || proto === null
}

function isIdentityKey(o: object): o is IdentityKey {
  return typeof (o as Partial<IdentityKey>).dpopHeaderB64 === 'string' && 'privateKey' in o
}

/** The encoded material, or undefined when something in it cannot cross a thread. */
export function encodePortable(value: unknown): unknown {
  try {
    return encode(value, new Map())
  } catch (e) {
    if (e instanceof NotPortable) return undefined
    throw e
  }
}

export function isPortable(value: unknown): boolean {
  return value === undefined || encodePortable(value) !== undefined
}

function encode(v: unknown, memo: Map<object, unknown>): unknown {
  if (v === null || v === undefined) return v
  const t = typeof v
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') return v
  if (t !== 'object') throw new NotPortable()
  const o = v as object
  if (memo.has(o)) return memo.get(o)
  if (o instanceof KeyObject || o instanceof Date) return o
  if (isIdentityKey(o)) return remember(memo, o, { [KEY_TAG]: exportIdentityKey(o) })
  if (Array.isArray(o)) {
    const out: unknown[] = remember(memo, o, [])
    for (const x of o) out.push(encode(x, memo))
    return out
  }
  if (o instanceof Map) {
    const out = remember(memo, o, new Map<unknown, unknown>())
    for (const [k, x] of o) out.set(encode(k, memo), encode(x, memo))
    return out
  }
  if (o instanceof Set) {
    const out = remember(memo, o, new Set<unknown>())
    for (const x of o) out.add(encode(x, memo))
    return out
  }
  const r = o as Record<string, unknown>
  // Identities (population and fresh alike) and their credentials are class instances (compact storage).
  const fields = isPlain(o)
    ? Object.keys(r)
    : typeof r.ref === 'string' && typeof r.clientId === 'string' && typeof r.credential === 'object'
      ? ['ref', 'kind', 'clientId', 'tenant', 'principal', 'scope', 'actors', 'credential', 'resource']
      : typeof r.accessToken === 'string' && typeof r.key === 'object'
        ? ['accessToken', 'tokenHash', 'key']
        : undefined
  if (!fields) throw new NotPortable()
  const out: Record<string, unknown> = remember(memo, o, {})
  for (const k of fields) out[k] = encode(r[k], memo)
  return out
}

function remember<T>(memo: Map<object, unknown>, from: object, to: T): T {
  memo.set(from, to)
  return to
}

/** Rebuilds encoded material in the worker (in place: it is the worker's own clone). */
export function decodePortable(value: unknown, seen = new Set<object>()): unknown {
  if (value === null || typeof value !== 'object' || seen.has(value)) return value
  seen.add(value)
  const tag = (value as Record<string, unknown>)[KEY_TAG]
  if (typeof tag === 'string') return identityKeyFrom(tag)
  if (Array.isArray(value)) value.forEach((x, i) => (value[i] = decodePortable(x, seen)))
  else if (value instanceof Map) {
    for (const [k, x] of [...value]) value.set(k, decodePortable(x, seen))
  } else if (value instanceof Set || value instanceof Date || value instanceof KeyObject) return value
  else for (const [k, x] of Object.entries(value)) (value as Record<string, unknown>)[k] = decodePortable(x, seen)
  return value
}
