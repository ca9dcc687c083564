/** Per-attempt verdicts (design.md, "Verdicts"). Order matters: later is worse for a case summary. */
export const VERDICTS = ['pass', 'not-covered', 'error', 'warn', 'false-deny', 'unrecorded', 'misattributed', 'breach'] as const
export type Verdict = (typeof VERDICTS)[number]

export function worse(a: Verdict, b: Verdict): Verdict {
  return VERDICTS.indexOf(a) >= VERDICTS.indexOf(b) ? a : b
}
