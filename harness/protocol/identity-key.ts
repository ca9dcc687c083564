/**
 * One identity's ES256 key, held compactly: the 32-byte private scalar and the pre-encoded DPoP
 * header (which carries the public x/y). The signing KeyObject is made on demand and kept in a
 * bounded LRU cache shared by all identities, because an OpenSSL key costs ~4 KiB of native memory
 * each (bench/README.md): 100k live KeyObjects alone would exceed the 5 KB-per-identity budget.
 *
 * - Proofs and assertions sign through `signCompactAs`: a cache hit is a Map lookup; a miss imports
 *   the key while the cache has room, and once it is full signs straight from the private JWK
 *   (node:crypto imports and frees it within the call, ~+70–100 µs: `npm run bench`, key cache
 *   section), so signing never churns KeyObjects. Populations up to the cache size (default 4,096)
 *   import each key once; beyond it about (1 − cache ÷ identities) of the signatures miss.
 * - `privateKey` (for callers that need a KeyObject: attacks, tests) is a true LRU: a miss imports
 *   the key, admits it and evicts the least recently used one.
 * - While anyone else still holds an evicted KeyObject (a chaos injector keyed on it, a request in
 *   flight), the same object is handed out again (WeakRef), so identity-keyed maps stay valid.
 * - `publicJwk`, `jkt` and `kid` are derived from the header when asked (a few µs; off the hot path).
 *
 * Keys are random, never derived from the run seed (the seed is published in run.json).
 *
 * @example
 *   const key = generateIdentityKey()
 *   key.jkt           // RFC 7638 thumbprint, the `cnf.jkt` a DPoP-bound token must carry
 *   key.dpopHeaderB64 // pre-encoded DPoP proof header; a proof is then one signature
 *   const wire = exportIdentityKey(key)  // a string: postMessage it to a worker
 *   identityKeyFrom(wire).jkt === key.jkt
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'
import { derToJoseB64url } from './der-to-jose.ts'
import { encodeSegment } from './jws.ts'
import type { IdentityKey, PublicEcJwk } from '../contracts/identity.ts'

/**
 * An identity key as it crosses a thread boundary (postMessage, structured clone): one string,
 * `<base64url 32-byte private scalar>.<dpopHeaderB64>`. Secret: never log or persist it.
 */
export type ExportedIdentityKey = string

/** RFC 7638 §3: SHA-256 over the required members in lexicographic order, no whitespace. */
export function jwkThumbprint(jwk: PublicEcJwk): string {
  // Sync SHA-256 of a hand-built string: ~2.4 µs vs ~131 µs for jose's async thumbprint (docs/platform.md).
  const canonical = `{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`
  return createHash('sha256').update(canonical).digest('base64url')
}

/** The pre-encoded DPoP header (RFC 9449 §4.2). Member order is fixed so tests can compare bytes. */
export function dpopHeaderFor(jwk: PublicEcJwk): string {
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } }
  return Buffer.from(JSON.stringify(header)).toString('base64url')
}

const B64URL_32 = /^[A-Za-z0-9_-]{43}$/

const B64URL = /^[A-Za-z0-9_-]+$/

/**
 * The public JWK inside a pre-encoded DPoP header; throws unless it is EC P-256 and the header is
 * base64url throughout (Buffer's decoder would skip other characters, and proofs carry the header
 * as it is: send-attempt.ts writes them unchecked, see hasBase64urlHeader).
 */
export function publicJwkOfHeader(dpopHeaderB64: string): PublicEcJwk {
  let jwk: Partial<PublicEcJwk> | undefined
  if (!B64URL.test(dpopHeaderB64)) throw new TypeError('identity keys must be EC P-256 (ES256): the DPoP header is not base64url')
  try {
    jwk = (JSON.parse(Buffer.from(dpopHeaderB64, 'base64url').toString('utf8')) as { jwk?: Partial<PublicEcJwk> }).jwk
  } catch {
    jwk = undefined
  }
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || !B64URL_32.test(jwk.x ?? '') || !B64URL_32.test(jwk.y ?? '')) {
    throw new TypeError('identity keys must be EC P-256 (ES256): the DPoP header carries no P-256 jwk')
  }
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! }
}

// ---------- the KeyObject cache ----------

export const DEFAULT_KEY_CACHE_SIZE = 4096

export interface KeyCacheStats {
  /** most KeyObjects the cache holds (it never holds more) */
  capacity: number
  /** KeyObjects it holds now */
  size: number
  hits: number
  /** lookups that were not in the cache (some are served by a still-live evicted KeyObject) */
  misses: number
  /** KeyObjects imported from the compact form */
  imports: number
  /** signatures made straight from the private JWK because the cache was full (no KeyObject made) */
  direct: number
  evictions: number
}

/**
 * A compact identity key: the private scalar as a 32-char latin1 string (48 B on the heap), the
 * DPoP header, and (only after eviction) a WeakRef to its last KeyObject. ~300 B per identity.
 */
class CompactIdentityKey implements IdentityKey {
  readonly dpopHeaderB64: string
  readonly #d: string
  #evicted: WeakRef<KeyObject> | undefined = undefined

  // The LRU: a Map keeps insertion order, so re-inserting on use makes its first entry the least recent.
  static #live = new Map<CompactIdentityKey, KeyObject>()
  static #mru: CompactIdentityKey | undefined = undefined
  static #capacity = DEFAULT_KEY_CACHE_SIZE
  static #stats = { hits: 0, misses: 0, imports: 0, direct: 0, evictions: 0 }

  constructor(d: string, dpopHeaderB64: string, live?: KeyObject) {
    if (d.length !== 32) throw new TypeError('an ES256 private scalar is 32 bytes')
    this.#d = d
    this.dpopHeaderB64 = dpopHeaderB64
    if (live) CompactIdentityKey.#admit(this, live)
  }

  get privateKey(): KeyObject {
    let k = this.#lookup()
    if (k !== undefined) return k
    k = this.#evicted?.deref()
    this.#evicted = undefined
    if (k === undefined) {
      k = this.#import()
      CompactIdentityKey.#stats.imports++
    }
    CompactIdentityKey.#admit(this, k)
    return k
  }

  /**
   * What to sign with (the hot path): the cached KeyObject; on a miss, a new one while the cache has
   * room; once it is full, the private JWK itself, which node:crypto imports for that one signature
   * and frees at once. So signing never evicts, and never leaves KeyObjects for the GC: V8 does not
   * see their ~4 KiB of native memory, collects them only in full GCs, and a run of 100k identities
   * would otherwise hold most of them (measured: ~+2.8 KiB per identity after signing).
   */
  signingKey(): KeyObject | { key: JsonWebKey; format: 'jwk' } {
    let k = this.#lookup() ?? this.#evicted?.deref()
    if (k !== undefined) return k
    if (CompactIdentityKey.#live.size < CompactIdentityKey.#capacity) {
      k = this.#import()
      CompactIdentityKey.#stats.imports++
      CompactIdentityKey.#admit(this, k)
      return k
    }
    CompactIdentityKey.#stats.direct++
    return { key: this.#privateJwk(), format: 'jwk' }
  }

  /** The cached KeyObject (a hit, made the most recent once the cache is over half full); undefined on a miss. Both are counted. */
  #lookup(): KeyObject | undefined {
    const live = CompactIdentityKey.#live
    const k = live.get(this)
    if (k === undefined) {
      CompactIdentityKey.#stats.misses++
      return undefined
    }
    CompactIdentityKey.#stats.hits++
    // Recency matters only once eviction is near: below half the capacity, at least that many more
    // imports come before the first eviction, and a key used again by then is moved up then. Saves a
    // Map delete + set per signature for populations the cache holds.
    if (CompactIdentityKey.#mru !== this && live.size * 2 > CompactIdentityKey.#capacity) {
      // a Map keeps insertion order: re-inserting makes this the most recent entry
      live.delete(this)
      live.set(this, k)
      CompactIdentityKey.#mru = this
    }
    return k
  }

  get publicJwk(): PublicEcJwk {
    return publicJwkOfHeader(this.dpopHeaderB64)
  }

  get jkt(): string {
    return jwkThumbprint(this.publicJwk)
  }

  get kid(): string {
    return this.jkt
  }

  /** base64url of the private scalar (the JWK `d`). */
  exportD(): string {
    return Buffer.from(this.#d, 'latin1').toString('base64url')
  }

  /**
   * A miss: the KeyObject from a private JWK (d, and x/y from the header). Measured by the bench
   * against the other forms Node imports (`npm run bench`, key cache section): JWK ~5–10 % under
   * the bare scalar ('raw-private', which derives the public point) and PKCS#8 DER.
   */
  #import(): KeyObject {
    return createPrivateKey({ key: this.#privateJwk(), format: 'jwk' })
  }

  #privateJwk(): JsonWebKey {
    const { x, y } = this.publicJwk
    return { kty: 'EC', crv: 'P-256', x, y, d: this.exportD() }
  }

  static #admit(owner: CompactIdentityKey, k: KeyObject): void {
    const live = CompactIdentityKey.#live
    live.set(owner, k)
    CompactIdentityKey.#mru = owner
    CompactIdentityKey.#trim()
  }

  static #trim(): void {
    const live = CompactIdentityKey.#live
    while (live.size > CompactIdentityKey.#capacity) {
      const [victim, k] = live.entries().next().value as [CompactIdentityKey, KeyObject]
      live.delete(victim)
      if (CompactIdentityKey.#mru === victim) CompactIdentityKey.#mru = undefined
      // Not kept alive by this: if nothing else holds the KeyObject, GC frees it (and its OpenSSL key).
      victim.#evicted = new WeakRef(k)
      CompactIdentityKey.#stats.evictions++
    }
  }

  static clear(): void {
    const capacity = CompactIdentityKey.#capacity
    CompactIdentityKey.#capacity = 0
    CompactIdentityKey.#trim()
    CompactIdentityKey.#capacity = capacity
  }

  static resize(capacity: number): void {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new TypeError(`the key cache needs a capacity of at least 1, got ${capacity}`)
    CompactIdentityKey.#capacity = capacity
    CompactIdentityKey.#trim()
  }

  static stats(): KeyCacheStats {
    return {
      capacity: CompactIdentityKey.#capacity,
      size: CompactIdentityKey.#live.size,
      ...CompactIdentityKey.#stats,
    }
  }

  static resetStats(): void {
    CompactIdentityKey.#stats = { hits: 0, misses: 0, imports: 0, direct: 0, evictions: 0 }
  }
}

/**
 * Whether the key's pre-encoded DPoP header is known to be base64url: true for the keys this module
 * makes (dpopHeaderFor encodes it; identityKeyFrom checks it), so a proof it signs is base64url and
 * dots only and cannot break a header line.
 */
export function hasBase64urlHeader(key: object): boolean {
  return key instanceof CompactIdentityKey
}

/**
 * Sets how many signing KeyObjects stay cached across all identities (default 4,096, ~4.5 KiB
 * each: ~18 MiB). Smaller saves memory at large populations; every identity beyond it re-imports
 * its key when it signs again after eviction. Shrinking evicts at once.
 */
export function setKeyCacheSize(capacity: number): void {
  CompactIdentityKey.resize(capacity)
}

/** Empties the cache (tests, the bench's baselines); keys import again on their next signature. */
export function clearKeyCache(): void {
  CompactIdentityKey.clear()
}

export function keyCacheStats(): KeyCacheStats {
  return CompactIdentityKey.stats()
}

export function resetKeyCacheStats(): void {
  CompactIdentityKey.resetStats()
}

// ---------- making identity keys ----------

function scalarOf(d: string | undefined): string {
  const bytes = Buffer.from(d ?? '', 'base64url')
  if (bytes.length === 0 || bytes.length > 32) throw new TypeError('identity keys must be EC P-256 (ES256): bad private scalar')
  // JWK `d` is fixed-length (RFC 7518 §6.2.2.1), but left-pad anyway.
  return (bytes.length === 32 ? bytes : Buffer.concat([Buffer.alloc(32 - bytes.length), bytes])).toString('latin1')
}

function fromPrivateKeyObject(privateKey: KeyObject): IdentityKey {
  const jwk: JsonWebKey = privateKey.export({ format: 'jwk' })
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y || !jwk.d) {
    throw new TypeError('identity keys must be EC P-256 (ES256)')
  }
  return new CompactIdentityKey(scalarOf(jwk.d), dpopHeaderFor({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }), privateKey)
}

/**
 * A fresh, random P-256 key pair (~95 µs). Generated straight to JWK, so no KeyObject is made (nor
 * left for the GC) until the identity first signs.
 */
export function generateIdentityKey(): IdentityKey {
  const { privateKey: jwk } = generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } } as never) as unknown as { privateKey: JsonWebKey }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y || !jwk.d) throw new TypeError('identity keys must be EC P-256 (ES256)')
  return new CompactIdentityKey(scalarOf(jwk.d), dpopHeaderFor({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }))
}

/** Rebuilds an identity key from a private JWK (pre-provisioned identities imported from a file). */
export function importIdentityKey(privateJwk: JsonWebKey): IdentityKey {
  return fromPrivateKeyObject(createPrivateKey({ key: privateJwk, format: 'jwk' }))
}

/**
 * The key in a form that survives postMessage (a string; see ExportedIdentityKey). No crypto work:
 * ~1 µs for a compact key; any other IdentityKey is exported from its KeyObject once.
 */
export function exportIdentityKey(key: IdentityKey): ExportedIdentityKey {
  const d = key instanceof CompactIdentityKey ? key.exportD() : key.privateKey.export({ format: 'jwk' }).d!
  return `${d}.${key.dpopHeaderB64}`
}

/**
 * Rebuilds a key from `exportIdentityKey`'s string (no crypto: the scalar is imported on first
 * sign), or from PKCS#8 DER bytes (imported and checked now). The string's header is trusted to
 * match its scalar: it is meant for keys this process or its parent exported.
 */
export function identityKeyFrom(exported: ExportedIdentityKey | Uint8Array): IdentityKey {
  if (typeof exported !== 'string') {
    return fromPrivateKeyObject(createPrivateKey({ key: Buffer.from(exported.buffer, exported.byteOffset, exported.byteLength), format: 'der', type: 'pkcs8' }))
  }
  const dot = exported.indexOf('.')
  const d = dot === -1 ? '' : exported.slice(0, dot)
  if (!B64URL_32.test(d)) throw new TypeError('not an exported identity key (<d>.<dpop header>)')
  // A fresh copy, not a slice: a slice would keep the whole exported string (and its `d`) alive.
  const header = Buffer.from(exported.slice(dot + 1), 'latin1').toString('latin1')
  publicJwkOfHeader(header)
  return new CompactIdentityKey(scalarOf(d), header)
}

/**
 * ES256 over `data` (DER signature) with the identity's key, through the cache without ever
 * evicting (CompactIdentityKey.signingKey); any other IdentityKey signs with its `privateKey`.
 */
export function signEs256(key: Pick<IdentityKey, 'privateKey'>, data: Buffer): Buffer {
  return sign('sha256', data, key instanceof CompactIdentityKey ? key.signingKey() : key.privateKey)
}

/**
 * jws.ts `signCompact` for an identity key: `headerB64.base64url(JSON(payload)).signature`, signed
 * through `signEs256` (so a miss with a full cache makes no KeyObject).
 */
export function signCompactAs(key: Pick<IdentityKey, 'privateKey'>, headerB64: string, payload: object): string {
  const signingInput = `${headerB64}.${encodeSegment(payload)}`
  return `${signingInput}.${derToJoseB64url(signEs256(key, Buffer.from(signingInput, 'latin1')))}`
}

/** The public half as a KeyObject (for verifying our own signatures in tests and self-checks). */
export function publicKeyOf(key: Pick<IdentityKey, 'privateKey'> | Pick<IdentityKey, 'publicJwk'>): KeyObject {
  // `in` also finds CompactIdentityKey's prototype getter: no KeyObject is imported for this.
  if ('publicJwk' in key) return createPublicKey({ key: { ...key.publicJwk }, format: 'jwk' })
  return createPublicKey(key.privateKey)
}
