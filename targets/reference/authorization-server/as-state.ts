/**
 * The AS's durable state: an append-only journal (`as-state.jsonl` in the target's data directory)
 * of registered and deleted clients, per-client token lifetimes, signing keys (added, made current,
 * retired) and lifecycle events (revocations, offboarding, key retirement). Each change is appended
 * synchronously before the endpoint that made it answers, so an AS killed at any moment and
 * restarted on the same port keeps every client it acknowledged, signs with the same key, and still
 * refuses what it revoked. The adapter starts each target with a fresh journal.
 *
 * Not kept (memory only, lost on a restart, as in most deployments): the jtis of DPoP proofs and
 * client assertions seen at the token endpoint, so a proof or assertion first used just before a
 * restart can be used once more within its lifetime.
 *
 * Private signing keys never reach the disk in clear: they are sealed with AES-256-GCM under a
 * 32-byte key the adapter generates per target start and passes over IPC only.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JWK } from 'jose'
import type { LifecycleEvent } from '../shared/lifecycle-events.ts'
import type { RegisteredClient } from './client-registry.ts'

export const AS_STATE_FILE = 'as-state.jsonl'

/** a registered client as journaled: everything but the imported key object */
export type SavedClient = Omit<RegisteredClient, 'key'>

interface Sealed {
  iv: string
  ct: string
  tag: string
}

type Entry =
  | { t: 'key.added'; kid: string; sealed: Sealed }
  | { t: 'key.current'; kid: string }
  | { t: 'key.retired'; kid: string }
  | { t: 'client.added'; client: SavedClient }
  | { t: 'client.deleted'; client_id: string; at: string }
  | { t: 'client.tenant'; client_id: string; tenant: string }
  | { t: 'client.ttl'; client_id: string; ttl_s: number }
  | { t: 'lifecycle'; event: LifecycleEvent; propagate: boolean }

/** What a restarted AS starts from. */
export interface SavedState {
  /** published keys (not retired), oldest first, with their private halves */
  keys: { kid: string; privateJwk: JWK }[]
  current: string | null
  clients: SavedClient[]
  /** client_id → when it was deleted */
  deleted: Map<string, string>
  ttls: Map<string, number>
  lifecycle: { event: LifecycleEvent; propagate: boolean }[]
}

export interface KeyJournal {
  added(kid: string, privateJwk: JWK): void
  current(kid: string): void
  retired(kid: string): void
}

export interface ClientJournal {
  added(client: SavedClient): void
  deleted(clientId: string, at: string): void
  /** a client registered without a tenant was bound to one at its first exchange (client-registry.ts bindTenant) */
  tenant(clientId: string, tenant: string): void
}

export class AsStateJournal {
  readonly file: string
  readonly #key: Buffer

  readonly keys: KeyJournal = {
    added: (kid, privateJwk) => this.#append({ t: 'key.added', kid, sealed: this.#seal(privateJwk) }),
    current: (kid) => this.#append({ t: 'key.current', kid }),
    retired: (kid) => this.#append({ t: 'key.retired', kid }),
  }

  readonly clients: ClientJournal = {
    added: (client) => this.#append({ t: 'client.added', client }),
    deleted: (clientId, at) => this.#append({ t: 'client.deleted', client_id: clientId, at }),
    tenant: (clientId, tenant) => this.#append({ t: 'client.tenant', client_id: clientId, tenant }),
  }

  readonly ttl = (clientId: string, ttlS: number): void => this.#append({ t: 'client.ttl', client_id: clientId, ttl_s: ttlS })
  readonly lifecycle = (event: LifecycleEvent, propagate: boolean): void => this.#append({ t: 'lifecycle', event, propagate })

  private constructor(file: string, key: Buffer) {
    this.file = file
    this.#key = key
  }

  /** Opens (or creates) the journal in `dataDir` and reads what an earlier process left in it. */
  static open(dataDir: string, stateKey: string): { journal: AsStateJournal; saved: SavedState } {
    const key = Buffer.from(stateKey, 'base64url')
    if (key.length !== 32) throw new TypeError('stateKey must be 32 bytes, base64url')
    mkdirSync(dataDir, { recursive: true })
    const journal = new AsStateJournal(join(dataDir, AS_STATE_FILE), key)
    return { journal, saved: journal.#read() }
  }

  #append(entry: Entry): void {
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`)
  }

  #read(): SavedState {
    const saved: SavedState = { keys: [], current: null, clients: [], deleted: new Map(), ttls: new Map(), lifecycle: [] }
    let text: string
    try {
      text = readFileSync(this.file, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return saved
      throw e
    }
    const keys = new Map<string, JWK>()
    const clients = new Map<string, SavedClient>()
    const lines = text.split('\n')
    // a process killed mid-append leaves a torn last line: that change was never acknowledged
    if (!text.endsWith('\n')) lines.pop()
    for (const line of lines) {
      if (line === '') continue
      const e = JSON.parse(line) as Entry
      switch (e.t) {
        case 'key.added': keys.set(e.kid, this.#unseal(e.sealed)); break
        case 'key.current': saved.current = e.kid; break
        case 'key.retired': keys.delete(e.kid); break
        case 'client.added': clients.set(e.client.client_id, e.client); break
        case 'client.deleted':
          clients.delete(e.client_id)
          saved.deleted.set(e.client_id, e.at)
          break
        case 'client.tenant': {
          const c = clients.get(e.client_id)
          if (c !== undefined) c.tenant = e.tenant
          break
        }
        case 'client.ttl': saved.ttls.set(e.client_id, e.ttl_s); break
        case 'lifecycle': saved.lifecycle.push({ event: e.event, propagate: e.propagate }); break
      }
    }
    saved.keys = [...keys].map(([kid, privateJwk]) => ({ kid, privateJwk }))
    saved.clients = [...clients.values()]
    return saved
  }

  #seal(jwk: JWK): Sealed {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    const ct = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final()])
    return { iv: iv.toString('base64url'), ct: ct.toString('base64url'), tag: cipher.getAuthTag().toString('base64url') }
  }

  #unseal(s: Sealed): JWK {
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(s.iv, 'base64url'))
    decipher.setAuthTag(Buffer.from(s.tag, 'base64url'))
    const text = Buffer.concat([decipher.update(Buffer.from(s.ct, 'base64url')), decipher.final()]).toString('utf8')
    return JSON.parse(text) as JWK
  }

  toJSON(): Record<string, unknown> {
    return { kind: 'as-state-journal', file: this.file }
  }
}

/** Per-client token lifetimes (admin API), journaled on every change. */
export class TokenTtls {
  readonly #map = new Map<string, number>()
  readonly #journal: ((clientId: string, ttlS: number) => void) | null

  constructor(saved: ReadonlyMap<string, number> = new Map(), journal: ((clientId: string, ttlS: number) => void) | null = null) {
    for (const [k, v] of saved) this.#map.set(k, v)
    this.#journal = journal
  }

  get(clientId: string): number | undefined {
    return this.#map.get(clientId)
  }

  set(clientId: string, ttlS: number): void {
    this.#journal?.(clientId, ttlS)
    this.#map.set(clientId, ttlS)
  }
}
