/**
 * The deployment's audit trail: one record per decision, in this application's field names
 * (README.md, "Audit records"); a gatecrash profile maps them. AuditLog is the one front every
 * component writes through, whatever the sink behind it (a JSON-lines file, a PostgreSQL table,
 * OTLP log records, a paged log API: lib/audit-sink.ts picks one), so the record and flaw
 * `denies-not-logged` are the same in every form.
 *
 * No raw token, proof or key is ever written: tokens appear as base64url SHA-256 (`token_sha256`),
 * keys as RFC 7638 thumbprints, proofs by the hash of their jti.
 */
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

/** Where the records go. write() never blocks the response on the network: an async sink queues. */
export interface AuditSink {
  write(record: AuditRecord): void
  /** writes what was accepted (within a bounded time), then lets go of files, pools and sockets */
  close(): Promise<void>
}

export class AuditLog {
  readonly #sink: AuditSink
  readonly #dropDenies: boolean

  /** `dropDenies` is flaw `denies-not-logged`. */
  constructor(sink: AuditSink, opts: { dropDenies?: boolean } = {}) {
    this.#sink = sink
    this.#dropDenies = opts.dropDenies ?? false
  }

  write(record: AuditRecord): void {
    if (this.#dropDenies && record.outcome === 'denied') return
    this.#sink.write(record)
  }

  close(): Promise<void> {
    return this.#sink.close()
  }
}
