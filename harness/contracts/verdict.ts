/** Per-attempt verdicts (docs/architecture.md, "Verdicts"). Order matters: later is worse for a case summary. */
export const VERDICTS = ['pass', 'not-covered', 'error', 'warn', 'false-deny', 'unrecorded', 'misattributed', 'breach'] as const
export type Verdict = (typeof VERDICTS)[number]

export function worse(a: Verdict, b: Verdict): Verdict {
  return VERDICTS.indexOf(a) >= VERDICTS.indexOf(b) ? a : b
}

/**
 * One attempt's verdict as the oracle hands it on. `matched` and `faithful` feed the coverage and
 * attribution-accuracy rates independently of the verdict, because a record can be wrong even when
 * the verdict is already decided by something worse (e.g. a breach that was also misrecorded).
 */
export interface GradedAttempt {
  seq: number
  verdict: Verdict
  /** human-readable reasons, joined with '; ' — never a token, only ids and hashes */
  why: string
  /** the evidence record the verdict was judged on, if any */
  evidence_id?: string
  /** a record (arrived in time) joined this attempt */
  matched: boolean
  /** the joined record tells the truth about what happened and to whom; null when none joined */
  faithful: boolean | null
}
