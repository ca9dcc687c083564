/**
 * Whether the evidence source can see the deployment's decisions at all, judged on calls already
 * past their settle window: the run's warm-up reads (measure/warm-up-evidence.ts) and the target
 * check's tool calls (preflight.ts) are judged by this one rule, so both stop with the same code and
 * hint. Without it a source that reads nothing, or a mapping under which no record joins, would show
 * only as every attempt `unrecorded` after a minute of load.
 *
 * A call counts as found when a record carries its trace id, or (for a deployment that logs no trace
 * id) its access token's hash: the same two keys the grader joins by (oracle/grade-stream.ts). This
 * is not grading; a single joined record proves the source and the mapping reach the decisions, and
 * what is missing beyond that is the grader's to count.
 */
import { EvidenceMappingInvalid, EvidenceUnavailable, type HarnessError } from '../contracts/errors.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { EvidenceProblems } from '../contracts/evidence-source.ts'

/** A call whose record the source should hold: its W3C trace id and its access token's hash. */
export interface ProbeCall {
  traceId: string
  tokenHash: string | null
}

/** What the source delivered while the calls settled. */
export class EvidenceReach {
  readonly #traces = new Set<string>()
  readonly #tokens = new Set<string>()
  readonly #found = new Set<string>()
  readonly #byToken = new Map<string, string[]>()
  records = 0

  constructor(calls: readonly ProbeCall[]) {
    for (const c of calls) {
      this.#traces.add(c.traceId)
      if (c.tokenHash) {
        this.#tokens.add(c.tokenHash)
        this.#byToken.set(c.tokenHash, [...(this.#byToken.get(c.tokenHash) ?? []), c.traceId])
      }
    }
  }

  get calls(): number {
    return this.#traces.size
  }

  /** calls with a record found by trace id or token hash */
  get found(): number {
    return this.#found.size
  }

  observe(records: readonly EvidenceRecord[]): void {
    this.records += records.length
    for (const r of records) {
      const trace = r.correlation?.trace_id
      if (trace && this.#traces.has(trace)) this.#found.add(trace)
      else if (!trace && r.correlation?.token_hash && this.#tokens.has(r.correlation.token_hash)) {
        for (const t of this.#byToken.get(r.correlation.token_hash) ?? []) this.#found.add(t)
      }
    }
  }
}

/**
 * The coded error when no call was found (null: at least one was, or there was no call to look
 * for). `kind`: the source's kind; `lastError`: the source's own failure, when its reads failed;
 * `problems`: what its mapping could not map; `where`: the profile file, for the mapping error.
 */
export function reachFailure(reach: EvidenceReach, input: { kind: string; waitedMs: number; lastError?: Error | null; problems?: EvidenceProblems; where?: string; phase: string }): HarnessError | null {
  if (reach.calls === 0 || reach.found > 0) return null
  const waited = `${(input.waitedMs / 1000).toFixed(1)} s`
  if (input.lastError) {
    const hint = (input.lastError as HarnessError).hint ?? `the ${input.kind} evidence source must be reachable from where gatecrash runs, with the credentials the profile names`
    return new EvidenceUnavailable(`${input.phase}: the ${input.kind} evidence source could not be read: ${input.lastError.message}`, { cause: input.lastError, hint })
  }
  const unmapped = input.problems?.unmapped ?? 0
  const examples = input.problems?.examples.slice(0, 2).join('; ')
  const opts = { file: input.where, key: 'evidence.source.mapping' }
  if (reach.records === 0) {
    return new EvidenceMappingInvalid(
      `${input.phase}: none of ${reach.calls} calls answered ${waited} ago left a record the ${input.kind} evidence source delivered${unmapped > 0 ? `; ${unmapped} raw records could not be mapped (${examples})` : ': it delivered no record at all'}`,
      { ...opts, hint: unmapped > 0 ? 'fix the mapping so each raw record yields ts, decision, status and component (docs/evidence-mapping.md)' : 'the deployment must write its decisions where the profile\'s evidence source reads (table, receiver, API or file), and the mapping must not drop them' },
    )
  }
  return new EvidenceMappingInvalid(
    `${input.phase}: ${reach.records} records arrived, but none carries the trace id or the token hash of the ${reach.calls} calls answered ${waited} ago`,
    { ...opts, hint: 'map correlation.trace_id from the W3C traceparent trace id the deployment received (or correlation.token_hash from the access token\'s SHA-256), docs/evidence-mapping.md' },
  )
}
