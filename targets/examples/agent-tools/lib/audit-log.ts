/**
 * The deployment's audit trail: one JSON object per line, appended synchronously so a decision is
 * on disk before its response leaves (a crash loses no decision that was answered). The field names
 * are this application's own (README.md, "Audit records"); a gatecrash profile maps them.
 *
 * No raw token, proof or key is ever written: tokens appear as base64url SHA-256 (`token_sha256`),
 * keys as RFC 7638 thumbprints, proofs by the hash of their jti.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import path from 'node:path'

export type Outcome = 'allowed' | 'denied'

/** One decision, in this application's field names. */
export interface AuditRecord {
  time: string
  service: string
  outcome: Outcome
  why: string
  http_status: number
  oauth_error: string | null
  user: string | null
  user_kind: 'human' | 'agent' | null
  client: string | null
  delegation: string[]
  key_thumbprint: string | null
  audience: string | null
  method: string
  path: string
  tool: string | null
  tenant: string | null
  scopes_needed: string[]
  scopes_held: string[]
  trace: string | null
  request_id: string | null
  token_id: string | null
  token_sha256: string | null
  subject_token_sha256?: string | null
  facts?: Record<string, unknown>
}

export class AuditLog {
  readonly #fd: number
  readonly #dropDenies: boolean

  /** `file` '-' writes to stdout. `dropDenies` is flaw `denies-not-logged`. */
  constructor(file: string, opts: { dropDenies?: boolean } = {}) {
    if (file === '-') this.#fd = 1
    else {
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
      this.#fd = openSync(file, 'a')
    }
    this.#dropDenies = opts.dropDenies ?? false
  }

  write(record: AuditRecord): void {
    if (this.#dropDenies && record.outcome === 'denied') return
    writeSync(this.#fd, JSON.stringify(record) + '\n')
  }

  close(): void {
    if (this.#fd !== 1) closeSync(this.#fd)
  }
}
