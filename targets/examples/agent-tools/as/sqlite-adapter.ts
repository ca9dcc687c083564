/**
 * A persistent oidc-provider adapter on Node's built-in SQLite (`node:sqlite`, DatabaseSync).
 *
 * Why: oidc-provider's default adapter is an in-memory LRU of about 1,000 entries shared by every
 * model (clients, registration access tokens, DPoP and client-assertion jti replay entries, …), so a
 * deployment that registers thousands of agents evicts its own clients and replay entries. One table
 * holds every model; expired rows are invisible at once and swept periodically.
 *
 * The interface is oidc-provider's (example/my_adapter.js in its repository): upsert, find,
 * findByUid, findByUserCode, consume, destroy, revokeByGrantId.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import type { Adapter, AdapterPayload } from 'oidc-provider'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_models (
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  user_code TEXT,
  uid TEXT,
  expires_at INTEGER,
  consumed_at INTEGER,
  PRIMARY KEY (model, id)
);
CREATE INDEX IF NOT EXISTS oidc_models_grant ON oidc_models (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_models_user_code ON oidc_models (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_models_uid ON oidc_models (model, uid) WHERE uid IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_models_expiry ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;
`

interface Row {
  payload: string
  consumed_at: number | null
}

/** One SQLite file holding every oidc-provider model; `adapter` is what the `adapter` configuration option takes. */
export class SqliteStore {
  readonly db: DatabaseSync
  readonly #upsert: StatementSync
  readonly #find: StatementSync
  readonly #findByUid: StatementSync
  readonly #findByUserCode: StatementSync
  readonly #consume: StatementSync
  readonly #destroy: StatementSync
  readonly #revoke: StatementSync
  readonly #sweep: StatementSync
  readonly #count: StatementSync

  constructor(file: string) {
    this.db = new DatabaseSync(file)
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;')
    this.db.exec(SCHEMA)
    this.#upsert = this.db.prepare(
      `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at, consumed_at = NULL`,
    )
    const live = '(expires_at IS NULL OR expires_at > ?)'
    this.#find = this.db.prepare(`SELECT payload, consumed_at FROM oidc_models WHERE model = ? AND id = ? AND ${live}`)
    this.#findByUid = this.db.prepare(`SELECT payload, consumed_at FROM oidc_models WHERE model = ? AND uid = ? AND ${live} LIMIT 1`)
    this.#findByUserCode = this.db.prepare(`SELECT payload, consumed_at FROM oidc_models WHERE model = ? AND user_code = ? AND ${live} LIMIT 1`)
    this.#consume = this.db.prepare('UPDATE oidc_models SET consumed_at = ? WHERE model = ? AND id = ?')
    this.#destroy = this.db.prepare('DELETE FROM oidc_models WHERE model = ? AND id = ?')
    this.#revoke = this.db.prepare('DELETE FROM oidc_models WHERE grant_id = ?')
    this.#sweep = this.db.prepare('DELETE FROM oidc_models WHERE expires_at IS NOT NULL AND expires_at <= ?')
    this.#count = this.db.prepare('SELECT COUNT(*) AS n FROM oidc_models WHERE model = ? AND ' + live)
  }

  /** The factory for oidc-provider's `adapter` option: one adapter per model name. */
  readonly adapter = (model: string): Adapter => {
    const store = this
    const read = (row: Row | undefined): AdapterPayload | undefined => {
      if (row === undefined) return undefined
      const payload = JSON.parse(row.payload) as AdapterPayload
      return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at }
    }
    return {
      async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
        const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? Date.now() + expiresIn * 1000 : null
        store.#upsert.run(model, id, JSON.stringify(payload), payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresAt)
      },
      async find(id: string) {
        return read(store.#find.get(model, id, Date.now()) as Row | undefined)
      },
      async findByUid(uid: string) {
        return read(store.#findByUid.get(model, uid, Date.now()) as Row | undefined)
      },
      async findByUserCode(userCode: string) {
        return read(store.#findByUserCode.get(model, userCode, Date.now()) as Row | undefined)
      },
      async consume(id: string) {
        store.#consume.run(Math.floor(Date.now() / 1000), model, id)
      },
      async destroy(id: string) {
        store.#destroy.run(model, id)
      },
      async revokeByGrantId(grantId: string) {
        store.#revoke.run(grantId)
      },
    }
  }

  /** Deletes expired rows; returns how many. */
  sweep(): number {
    return Number(this.#sweep.run(Date.now()).changes)
  }

  /** Live rows of one model (for tests and the health endpoint). */
  count(model: string): number {
    return Number((this.#count.get(model, Date.now()) as { n: number | bigint }).n)
  }

  close(): void {
    this.db.close()
  }
}
