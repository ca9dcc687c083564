/**
 * Where a run reads the target's audit records from (docs/architecture.md "Evidence contract").
 * Every kind of source implements this one interface; the run resolves one source from the started
 * target (evidence/open-source.ts) and hands the same object to every phase that reads evidence:
 * the start cursor, the live tail, the final read after the settle window and the head samples.
 */
import type { EvidenceRecord } from './evidence.ts'

export interface EvidencePage {
  records: EvidenceRecord[]
  /** the cursor after this page */
  cursor: string | null
  /**
   * What a mapping source could not turn into records on this page, or changed on the way. They
   * travel with the page rather than living in the source so they follow the cursor as records do:
   * lines before the run's start cursor are not the run's, a page the live tail drops at stop() is
   * read (and counted) again by the final read, and nothing is counted twice.
   */
  problems?: EvidenceProblems
}

export interface EvidenceProblems {
  /** lines that gave no record: not JSON, not an object, or a required field missing or invalid after mapping */
  unmapped: number
  /** the first few, e.g. "line 17: decision: no `outcome`" (never a raw value that looks like a credential) */
  examples: string[]
  /**
   * what the mapping or the reading changed on the way, each once: a credential-looking value
   * hashed or dropped, a file rotated or truncated, a file that does not exist
   */
  warnings: string[]
}

/** Each writer's chain head (component → hash of its newest record; null: an empty chain). */
export type ChainHeads = Record<string, string | null>

/**
 * `chained`: records carry `prev`/`hash` (docs/evidence-schema.md "Integrity"), so the run can prove
 * the trail was not cut or rewritten. `unchained`: they do not; the report says the audit trail is
 * not tamper-evident, and the integrity gate has nothing to judge.
 */
export type EvidenceIntegrity = 'chained' | 'unchained'

export interface EvidenceSource {
  /** the kind a target declares (`http-cursor`, …), for run.json and messages */
  readonly kind: string
  readonly integrity: EvidenceIntegrity
  /**
   * Pages of records after `after` (null: from the beginning), in delivery order, until the source
   * has nothing newer. Each page's cursor resumes after it. Throws EvidenceUnavailable when the
   * source cannot be read.
   */
  pages(after?: string | null): AsyncGenerator<EvidencePage>
  /**
   * The chains' heads as the source reports them now, where it keeps any (chained sources). The run
   * samples them at the start, while it measures and after the settle window: every later chain must
   * extend every earlier head.
   */
  heads?(): Promise<ChainHeads>
  /**
   * For a source the deployment sends its records to (an OTLP receiver): starts listening, if it is
   * not yet, and returns the environment a deployment gatecrash starts must get to send there
   * (OpenTelemetry's own variables: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, OTEL_EXPORTER_OTLP_LOGS_HEADERS).
   * The run calls it before the target starts.
   */
  exportEnv?(): Promise<Record<string, string>>
  /** releases connections, files, servers; safe to call twice */
  close(): Promise<void>
}
