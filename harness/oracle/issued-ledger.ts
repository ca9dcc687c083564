/**
 * Keeps what the issued-token checks concluded over a run (counts per check and the first failing
 * tokens by hash, never a token), and turns it into run.json's case rows and the metric samples the
 * gates read, so a check is graded, gated and reported like a case.
 *
 * @example
 *   const ledger = new IssuedTokenLedger(ISSUED_TOKEN_CHECKS, 3600)
 *   ledger.observe(request, response, Date.now())   // an IssuedTokenObserver
 *   ctx.issuedTokens = ledger.summary()
 */
import type { TokenCheck } from '../contracts/attack-case.ts'
import type { IssuedCheckOutcome, IssuedTokenRequest, IssuedTokenResponse, IssuedTokenSummary } from '../contracts/issued-token.ts'
import type { CaseRow } from '../contracts/run-json.ts'
import type { Verdict } from '../contracts/verdict.ts'
import { tokenHash } from '../protocol/token-hash.ts'
import { judgeIssuedToken, type IssuedCheckId } from './issued-token.ts'
import { MAX_EXAMPLES } from './case-rows.ts'
import { addSample, tagKey, type MetricSet, type Tags } from './metric-set.ts'

/** JWK members that hold private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

export class IssuedTokenLedger {
  readonly #maxLifetimeS: number
  readonly #outcomes: Map<string, IssuedCheckOutcome>
  #tokens = 0

  constructor(checks: readonly TokenCheck[], maxLifetimeS: number) {
    this.#maxLifetimeS = maxLifetimeS
    // the evidence checks are the grader's (it reads the records): the ledger keeps tokens and keys
    this.#outcomes = new Map(checks.filter((c) => c.class !== 'evidence').map((c) => [c.id, { id: c.id, checked: 0, failed: 0, not_judged: 0, examples: [] }]))
  }

  /** An IssuedTokenObserver: judges one token response and forgets the token. */
  readonly observe = (req: IssuedTokenRequest, res: IssuedTokenResponse, receivedAt: number): void => {
    this.#tokens++
    const findings = judgeIssuedToken(req, res, receivedAt, this.#maxLifetimeS)
    let hash: string | undefined
    for (const [id, f] of Object.entries(findings) as [IssuedCheckId, (typeof findings)[IssuedCheckId]][]) {
      const o = this.#outcomes.get(id)
      if (!o) continue
      if (f.ok === null) {
        o.not_judged++
        o.not_judged_reason ??= f.notJudged
        continue
      }
      o.checked++
      if (f.ok) continue
      o.failed++
      if (o.examples.length < MAX_EXAMPLES) o.examples.push({ token_hash: (hash ??= tokenHash(res.access_token)), source: req.source, ref: req.ref, why: f.why })
    }
  }

  /**
   * The AS's JWK set as fetched from jwks_uri (once per run): any private or symmetric member fails
   * metadata.jwks-public. Only member names are reported, never their values.
   */
  observeJwks(jwks: unknown, source: string): void {
    const o = this.#outcomes.get('metadata.jwks-public')
    if (!o) return
    const keys = (jwks as { keys?: unknown } | null)?.keys
    if (!Array.isArray(keys)) {
      o.not_judged++
      o.not_judged_reason ??= `${source} is not a JWK set`
      return
    }
    o.checked++
    const leaks = keys.flatMap((k, i) => SECRET_MEMBERS.filter((m) => k !== null && typeof k === 'object' && m in k).map((m) => `key ${i}${typeof (k as { kid?: unknown }).kid === 'string' ? ` (kid ${(k as { kid: string }).kid})` : ''} has ${m}`))
    if (leaks.length === 0) return
    o.failed++
    o.examples.push({ token_hash: '', source, ref: 'jwks', why: `${leaks.join('; ')}: the set publishes secret key material` })
  }

  summary(): IssuedTokenSummary {
    return { tokens: this.#tokens, max_lifetime_s: this.#maxLifetimeS, checks: [...this.#outcomes.values()].map((o) => ({ ...o, examples: [...o.examples] })) }
  }
}

const failedVerdict = (c: TokenCheck): Verdict => (c.grading === 'must' ? 'breach' : 'warn')

/** One case row per check: attempts are the tokens it looked at, a failure is a breach (MUST) or a warn. */
export function issuedCaseRows(summary: IssuedTokenSummary, checks: readonly TokenCheck[]): CaseRow[] {
  return checks.flatMap((c) => {
    const o = summary.checks.find((x) => x.id === c.id)
    if (!o) return []
    const bad = failedVerdict(c)
    const counts: CaseRow['counts'] = {}
    if (o.checked - o.failed > 0) counts.pass = o.checked - o.failed
    if (o.failed > 0) counts[bad] = o.failed
    if (o.not_judged > 0) counts['not-covered'] = o.not_judged
    const verdict: Verdict = o.failed > 0 ? bad : o.checked > 0 ? 'pass' : 'not-covered'
    return [{
      id: c.id,
      class: c.class,
      grading: c.grading,
      refs: [...c.refs],
      attempts: o.checked + o.not_judged,
      counts,
      verdict,
      // a check judges tokens, not requests: no trace id, the token by hash and where it came from
      examples: o.examples.map((e) => (e.token_hash
        ? { trace_id: '', token_hash: e.token_hash, verdict: bad, why: `${e.source} ${e.ref}, token ${e.token_hash}: ${e.why}` }
        : { trace_id: '', verdict: bad, why: `${e.source}: ${e.why}` })),
    }]
  })
}

/** Why a check with no judged token is not covered, by check id. */
export function issuedNotCovered(summary: IssuedTokenSummary): Record<string, string> {
  const out: Record<string, string> = {}
  for (const o of summary.checks) {
    if (o.checked > 0) continue
    out[o.id] = o.not_judged_reason ?? (summary.tokens === 0 ? 'the run received no token to check' : 'no token showed what the check needs')
  }
  return out
}

/**
 * The checks' samples: failures into gatecrash_breaches / gatecrash_warns tagged with the check as
 * `case` (so `gatecrash_warns{case:issued.scope}` gates one check), and every judged token into
 * gatecrash_issued_tokens (a rate: 1 held, 0 failed) for gates on a check's pass rate.
 */
export function addIssuedMetrics(set: MetricSet, summary: IssuedTokenSummary, checks: readonly TokenCheck[]): void {
  for (const c of checks) {
    const o = summary.checks.find((x) => x.id === c.id)
    if (!o) continue
    const tags: Tags = { kind: 'check', case: c.id, class: c.class, grading: c.grading, tool: '', scenario: '', fault: 'no' }
    if (o.failed > 0) addSample(set, failedVerdict(c) === 'breach' ? 'gatecrash_breaches' : 'gatecrash_warns', 'counter', o.failed, tags)
    if (o.not_judged > 0) addSample(set, 'gatecrash_not_covered', 'counter', o.not_judged, tags)
    // one sample per record checked (a million for evidence.no-secrets), so the tag key is made once
    const key = tagKey(tags)
    for (let i = 0; i < o.checked; i++) addSample(set, 'gatecrash_issued_tokens', 'rate', i < o.failed ? 0 : 1, tags, key)
  }
}
