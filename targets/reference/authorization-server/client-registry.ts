/**
 * Registered clients (agents and sub-agents), in memory, with their imported keys cached, and
 * tombstones of deleted ones. With a journal (as-state.ts) every change is written down first, and
 * a restarted AS restores the registry from it.
 */
import { importJWK, type CryptoKey, type JWK } from 'jose'
import type { ClientJournal, SavedState } from './as-state.ts'

export const GRANT_CLIENT_CREDENTIALS = 'client_credentials'
export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const SUPPORTED_GRANTS = [GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE]

/** deleted registrations flaw `registration-token-survives-delete` keeps readable */
const MAX_RETAINED = 1_000

export interface RegisteredClient {
  client_id: string
  client_id_issued_at: number
  client_name: string | null
  /**
   * The client's tenant: from the `tenant` registration member, else its parent's, else null until
   * its first token exchange binds it to the subject token's tenant (bindTenant). A standards-only
   * RFC 7591 client sends no such member: the tenant travels in the subject token (harness
   * TenancyProfile `subject-claim`), and the binding keeps each client within one tenant.
   */
  tenant: string | null
  parent_client_id: string | null
  scope: string[]
  grant_types: string[]
  jwk: JWK
  /** the imported `jwk`; null until first use for a client restored from the journal (see keyOf) */
  key: CryptoKey | null
  /** SHA-256 of the registration access token; the token itself is never kept */
  registrationTokenHash: string
}

export class ClientRegistry {
  readonly #clients = new Map<string, RegisteredClient>()
  /** client_id → when it was deleted (RFC 7592 §2.3): ids are never reused, and refusals can say why */
  readonly #deleted = new Map<string, string>()
  readonly #journal: ClientJournal | null
  readonly #retained = new Map<string, RegisteredClient>()

  constructor(journal: ClientJournal | null = null) {
    this.#journal = journal
  }

  /**
   * The registry a journal kept (a restarted AS). Keys are imported on first use, not here: a
   * restart with tens of thousands of clients would otherwise spend seconds importing them.
   */
  static restore(saved: Pick<SavedState, 'clients' | 'deleted'>, journal: ClientJournal | null): ClientRegistry {
    const registry = new ClientRegistry(journal)
    for (const c of saved.clients) registry.#clients.set(c.client_id, { ...c, key: null })
    for (const [id, at] of saved.deleted) registry.#deleted.set(id, at)
    return registry
  }

  /** The client's imported key (imported now if it was restored from the journal). */
  async keyOf(client: RegisteredClient): Promise<CryptoKey> {
    client.key ??= await importJWK(client.jwk, 'ES256') as CryptoKey
    return client.key
  }

  add(client: RegisteredClient): void {
    const { key: _key, ...saved } = client
    this.#journal?.added(saved)
    this.#clients.set(client.client_id, client)
  }

  /**
   * Binds a client registered without a tenant to `tenant` (journaled first, like every change). Only
   * an unbound client is bound: once bound, a client's tenant never changes.
   */
  bindTenant(client: RegisteredClient, tenant: string): void {
    if (client.tenant !== null) throw new TypeError(`client ${client.client_id} is already bound to a tenant`)
    this.#journal?.tenant(client.client_id, tenant)
    client.tenant = tenant
  }

  /** Every registered client (the `client-assertion-key-by-kid` flaw searches them by key). */
  all(): IterableIterator<RegisteredClient> {
    return this.#clients.values()
  }

  get(clientId: string): RegisteredClient | undefined {
    return this.#clients.get(clientId)
  }

  /**
   * Forgets the client (its key and registration token with it) and remembers when. `retain` is
   * flaw `registration-token-survives-delete` only: the registration is kept readable (in memory,
   * the newest MAX_RETAINED) with its old registration access token.
   */
  delete(clientId: string, at: string, retain = false): boolean {
    const client = this.#clients.get(clientId)
    if (client === undefined) return false
    this.#journal?.deleted(clientId, at)
    this.#clients.delete(clientId)
    this.#deleted.set(clientId, at)
    if (retain) {
      this.#retained.set(clientId, client)
      // bounded: the flaw needs the recent deletions only
      for (const old of this.#retained.keys()) {
        if (this.#retained.size <= MAX_RETAINED) break
        this.#retained.delete(old)
      }
    }
    return true
  }

  /** A deleted client kept by `delete(…, retain)` (flaw `registration-token-survives-delete`). */
  retained(clientId: string): RegisteredClient | undefined {
    return this.#retained.get(clientId)
  }

  /**
   * Whether `tokenHash` is the registration access token hash of some registered client: flaw
   * `registration-token-any-client` only (a correct endpoint compares with the one client's hash).
   */
  holdsRegistrationToken(tokenHash: string): boolean {
    for (const c of this.#clients.values()) if (c.registrationTokenHash === tokenHash) return true
    return false
  }

  deletedAt(clientId: string): string | null {
    return this.#deleted.get(clientId) ?? null
  }

  /** Registered clients below `clientId` in the delegation tree (its sub-agents, theirs, …). */
  descendants(clientId: string, max = 100): string[] {
    const out: string[] = []
    for (const c of this.#clients.values()) {
      if (out.length >= max) break
      let depth = 0
      for (let p = c.parent_client_id; p !== null && depth < 64; p = this.get(p)?.parent_client_id ?? null, depth++) {
        if (p === clientId) {
          out.push(c.client_id)
          break
        }
      }
    }
    return out
  }

  /** Number of hops from `clientId` up to its top-level agent (0 for an agent). */
  depth(clientId: string): number {
    let depth = 0
    for (let c = this.get(clientId); c?.parent_client_id != null && depth < 64; c = this.get(c.parent_client_id)) depth++
    return depth
  }

  /** RFC 7591 response / RFC 7592 read body. */
  metadata(c: RegisteredClient): Record<string, unknown> {
    return {
      client_id: c.client_id,
      client_id_issued_at: c.client_id_issued_at,
      ...(c.client_name !== null ? { client_name: c.client_name } : {}),
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [c.jwk] },
      grant_types: c.grant_types,
      scope: c.scope.join(' '),
      dpop_bound_access_tokens: true,
      ...(c.tenant !== null ? { tenant: c.tenant } : {}),
      ...(c.parent_client_id !== null ? { parent_client_id: c.parent_client_id } : {}),
    }
  }
}
