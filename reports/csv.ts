/**
 * attempts.csv and evidence.csv: one flat row per attempt / record for spreadsheets and SIEM
 * import. Rows stream through csv-stringify into the file, so a long run never builds the whole
 * file in memory, and inputs may be async iterables read straight from the logs.
 *
 * Cells that start with = + - @ are prefixed (csv-stringify `escape_formulas`): record fields come
 * from the target, and a spreadsheet must never execute them. Tokens appear only as hashes.
 *
 * @example
 * ```ts
 * await writeAttemptsCsv(join(dir, 'attempts.csv'), attempts, g.attempts)   // or a lookup: { get(seq) }
 * await writeEvidenceCsv(join(dir, 'evidence.csv'), records, { seqById: g.match.seqById, lateIds: g.match.lateIds })
 * ```
 */
import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { stringify } from 'csv-stringify'
import type { AttemptRecord } from '../harness/contracts/attempt.ts'
import type { EvidenceRecord } from '../harness/contracts/evidence.ts'
import type { GradedAttempt } from '../harness/contracts/verdict.ts'
import { redact } from './redact.ts'

export type Rows<T> = Iterable<T> | AsyncIterable<T>

const ACTORS_SEPARATOR = ' > '
const iso = (epochMs: number): string => (Number.isFinite(epochMs) ? new Date(epochMs).toISOString() : '')

export const ATTEMPT_COLUMNS = [
  'seq', 'trace_id', 'request_id', 'kind', 'case', 'group', 'scenario', 'scheduled_at', 'started_at', 'ended_at', 'latency_ms',
  'method', 'path', 'tool', 'tenant', 'aud', 'expected_sub', 'expected_principal_type', 'expected_actors', 'expected_client_id',
  'status', 'error_code', 'challenge_scheme', 'transport_error', 'token_hash', 'verdict', 'why', 'evidence_id',
] as const

export const EVIDENCE_COLUMNS = [
  'id', 'ts', 'component', 'decision', 'reason', 'status', 'error', 'principal_sub', 'principal_type', 'client_id', 'actors', 'jkt',
  'aud', 'method', 'path', 'tool', 'tenant', 'scope_required', 'scope_held', 'policy_id', 'policy_rule',
  'trace_id', 'request_id', 'token_jti', 'token_hash', 'parent_token_hash', 'detail', 'attempt_seq', 'late', 'prev', 'hash',
] as const

type Row<C extends readonly string[]> = Record<C[number], string | number | null | undefined>

async function writeCsv<T, C extends readonly string[]>(path: string, columns: C, rows: Rows<T>, toRow: (item: T) => Row<C>): Promise<void> {
  async function* mapped(): AsyncGenerator<Row<C>> {
    for await (const item of rows) yield toRow(item)
  }
  await pipeline(
    Readable.from(mapped()),
    stringify({ header: true, columns: [...columns], escape_formulas: true }),
    createWriteStream(path),
  )
}

/** Verdicts by seq without holding them all: a run store answers per row (harness/run/store-rows.ts). */
export interface VerdictLookup {
  get(seq: number): GradedAttempt | undefined
}

export async function writeAttemptsCsv(path: string, attempts: Rows<AttemptRecord>, graded: Iterable<GradedAttempt> | VerdictLookup = []): Promise<void> {
  let bySeq: VerdictLookup
  if ('get' in graded && typeof graded.get === 'function') bySeq = graded
  else {
    const map = new Map<number, GradedAttempt>()
    for (const g of graded as Iterable<GradedAttempt>) map.set(g.seq, g)
    bySeq = map
  }
  await writeCsv(path, ATTEMPT_COLUMNS, attempts, (a) => {
    const g = bySeq.get(a.seq)
    return {
      seq: a.seq,
      trace_id: a.trace_id,
      request_id: a.request_id,
      kind: a.kind,
      case: a.case,
      group: a.group,
      scenario: a.scenario,
      scheduled_at: iso(a.scheduled_at),
      started_at: iso(a.started_at),
      ended_at: iso(a.ended_at),
      latency_ms: a.ended_at - a.scheduled_at,
      method: a.method,
      path: a.path,
      tool: a.tool,
      tenant: a.expected.tenant,
      aud: a.expected.aud,
      expected_sub: a.expected.principal.sub,
      expected_principal_type: a.expected.principal.type,
      expected_actors: a.expected.actors.join(ACTORS_SEPARATOR),
      expected_client_id: a.expected.client_id,
      status: a.status,
      error_code: a.error_code,
      challenge_scheme: a.challenge_scheme,
      transport_error: a.transport_error === null ? null : redact(a.transport_error),
      token_hash: a.token_hash,
      verdict: g?.verdict,
      why: g ? redact(g.why) : undefined,
      evidence_id: g?.evidence_id,
    }
  })
}

export interface EvidenceCsvOptions {
  /** record id → the attempt it joined (grade(...).match.seqById, or a run store's lookup) */
  seqById?: Pick<ReadonlyMap<string, number>, 'get'>
  /** ids of records that arrived after the settle deadline (grade(...).match.lateIds, or a run store's lookup) */
  lateIds?: Pick<ReadonlySet<string>, 'has'>
}

export async function writeEvidenceCsv(path: string, records: Rows<EvidenceRecord>, options: EvidenceCsvOptions = {}): Promise<void> {
  await writeCsv(path, EVIDENCE_COLUMNS, records, (r) => ({
    id: r.id,
    ts: r.ts,
    component: r.component,
    decision: r.decision,
    reason: r.reason,
    status: r.status,
    error: r.error,
    principal_sub: r.principal?.sub,
    principal_type: r.principal?.type,
    client_id: r.client_id,
    actors: (r.actors ?? []).join(ACTORS_SEPARATOR),
    jkt: r.key?.jkt,
    aud: r.resource?.aud,
    method: r.resource?.method,
    path: r.resource?.path,
    tool: r.resource?.tool,
    tenant: r.resource?.tenant,
    scope_required: r.scope?.required?.join(' '),
    scope_held: r.scope?.held?.join(' '),
    policy_id: r.policy?.id,
    policy_rule: r.policy?.rule,
    trace_id: r.correlation?.trace_id,
    request_id: r.correlation?.request_id,
    token_jti: r.correlation?.token_jti,
    token_hash: r.correlation?.token_hash,
    parent_token_hash: r.correlation?.parent_token_hash,
    // Detail keys vary per case; one JSON cell keeps the columns fixed.
    detail: r.detail === undefined ? undefined : redact(JSON.stringify(r.detail)),
    attempt_seq: options.seqById?.get(r.id),
    late: options.lateIds ? (options.lateIds.has(r.id) ? 'yes' : 'no') : undefined,
    prev: r.prev,
    hash: r.hash,
  }))
}
