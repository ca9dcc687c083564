/**
 * Who each client is in the delegation tree, fixed by its first token exchange (README.md,
 * "Delegation policy"): a client whose first exchange presented a user's assertion is a top-level
 * agent for good; a client whose first exchange presented an access token becomes, for good, the
 * child of that token's current actor. Registration carries no proprietary member for this, so the
 * AS learns the tree from the exchanges themselves and never lets a client change its place in it.
 *
 * Binding is one INSERT OR IGNORE followed by a read, so two concurrent first exchanges cannot bind
 * one client twice: the loser sees the winner's binding and is judged against it.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite'

export type Place =
  | { role: 'agent'; tenant: string; boundAt: number }
  | { role: 'child'; parent: string; tenant: string; boundAt: number }

interface Row {
  role: 'agent' | 'child'
  parent: string | null
  tenant: string
  bound_at: number
}

export class DelegationStore {
  readonly #get: StatementSync
  readonly #bind: StatementSync

  constructor(db: DatabaseSync) {
    db.exec(`CREATE TABLE IF NOT EXISTS delegation_places (
      client_id TEXT PRIMARY KEY,
      role TEXT NOT NULL CHECK (role IN ('agent', 'child')),
      parent TEXT,
      tenant TEXT NOT NULL,
      bound_at INTEGER NOT NULL
    )`)
    this.#get = db.prepare('SELECT role, parent, tenant, bound_at FROM delegation_places WHERE client_id = ?')
    this.#bind = db.prepare('INSERT OR IGNORE INTO delegation_places (client_id, role, parent, tenant, bound_at) VALUES (?, ?, ?, ?, ?)')
  }

  get(clientId: string): Place | null {
    const row = this.#get.get(clientId) as Row | undefined
    if (row === undefined) return null
    return row.role === 'agent'
      ? { role: 'agent', tenant: row.tenant, boundAt: row.bound_at }
      : { role: 'child', parent: row.parent ?? '', tenant: row.tenant, boundAt: row.bound_at }
  }

  /** Binds `clientId` to `place` unless it already has one; returns the place it has now. */
  bind(clientId: string, place: { role: 'agent'; tenant: string } | { role: 'child'; parent: string; tenant: string }): Place {
    this.#bind.run(clientId, place.role, place.role === 'child' ? place.parent : null, place.tenant, Date.now())
    return this.get(clientId)!
  }
}
