/**
 * What the readable reports say, apart from how they mark it up: the verdict's title and one-line
 * why, the notes that stand next to it, the sign-off wording, a case's rule. The Markdown and HTML
 * reports both render these, so a board reading either reads the same sentences and figures.
 *
 * Sentences come as `Rich` text: plain strings and code spans, unescaped and unredacted; each
 * renderer redacts and escapes them for its own format.
 */
import { findCase } from '../harness/attacks/catalog.ts'
import { ISSUED_TOKEN_CHECKS } from '../harness/attacks/catalog/issued-token-checks.ts'
import type { CaseRow, GateResult, RunJson } from '../harness/contracts/run-json.ts'
import { VERDICTS, type Verdict } from '../harness/contracts/verdict.ts'

export type Rich = readonly (string | { code: string })[]

/** A call-out beside the verdict: a bold title, then the sentence. */
export interface Note {
  title: string
  body: Rich
}

export const VERDICT_TITLE: Record<RunJson['verdict'], string> = { ready: 'READY', 'not-ready': 'NOT READY', incomplete: 'INCOMPLETE' }

export const counts = (c: Partial<Record<Verdict, number>>): string =>
  Object.entries(c).map(([v, n]) => `${v} ${n}`).join(', ') || '—'

/** Scheduling lag and other sub-second figures: two decimals below 10 ms. */
export function fmtMs(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(1)
}

/** How many gates held, in one sentence. */
export function gatesSentence(list: readonly GateResult[]): string {
  const failed = list.filter((g) => !g.ok).length
  return failed === 0 ? `All ${list.length} gates hold.` : `${failed} of ${list.length} gates failed.`
}

/**
 * The one line under the verdict a board reads before anything else: which gates failed (and the
 * cases behind them), why the run is incomplete, or what READY rests on.
 */
export function verdictWhy(run: RunJson): Rich {
  const failed = run.gates.filter((g) => !g.ok)
  if (failed.length > 0) {
    const shown = failed.slice(0, 3)
    const parts: (string | { code: string })[] = [`${failed.length} of ${run.gates.length} gates failed: `]
    shown.forEach((g, i) => {
      if (i > 0) parts.push(', ')
      parts.push({ code: g.metric })
      if (g.cases.length > 0) parts.push(` (${g.cases.slice(0, 3).join(', ')}${g.cases.length > 3 ? ', …' : ''})`)
    })
    if (failed.length > shown.length) parts.push(` and ${failed.length - shown.length} more`)
    parts.push('.')
    return parts
  }
  if (run.verdict === 'incomplete') {
    return [`The run stopped early${run.stopped ? ` (${run.stopped})` : ''}: no gate failed on what it measured, but the results cover only what ran.`]
  }
  const missed = (run.coverage ?? []).filter((c) => !c.covered).length
  const gaps = missed > 0 ? ` ${missed} of ${run.coverage!.length} cases asked for were not covered: a gap, not a pass.` : ''
  return [`All ${run.gates.length} gates hold over ${run.load.attempts} attempts (${run.load.attacks} attacks in ${run.cases.length} cases).${gaps}`]
}

/**
 * What stands next to the verdict: the trail's integrity, whether transactions could be rebuilt
 * from it, and a re-grade with gates the run was not made with. A board must not read READY without them.
 */
export function verdictNotes(run: RunJson): Note[] {
  const notes: Note[] = []
  const broken = run.evidence.chains.filter((c) => !c.ok)
  if (run.evidence.integrity === 'unchained') {
    notes.push({
      title: 'Audit trail not tamper-evident.',
      body: ['The evidence source carries no hash chain, so this run cannot show that the records were not cut or rewritten afterwards; the integrity gate does not apply.'],
    })
  } else if (broken.length > 0) {
    notes.push({ title: 'Audit trail broken or rewritten.', body: broken.flatMap((c, i) => [i > 0 ? ' Chain ' : 'Chain ', { code: c.component }, `: ${c.problem ?? ''}`]) })
  }
  if (run.reconstruction?.not_covered) {
    notes.push({ title: 'Transactions not rebuilt from the trail.', body: [`Not covered: ${run.reconstruction.not_covered}; the reconstruction gate does not apply.`] })
  }
  if (run.regraded) {
    const r = run.regraded
    const added: Rich = r.new_gates.length > 0 ? [' Gates it was not judged by when it was made: ', ...r.new_gates.flatMap((g, i) => [...(i > 0 ? [', '] : []), { code: g }]), '.'] : []
    notes.push({ title: 'Re-graded', body: [`on ${r.at} by grader ${r.grader}; the run was made with grader ${r.from_grader}.`, ...added] })
  }
  return notes
}

/**
 * The page's signature note: written before any signing (`gatecrash bundle sign` signs the files as
 * they are, this page among them), so it says where the answer is rather than claiming either way.
 */
export const UNSIGNED_NOTE: Note = {
  title: 'Signature.',
  body: [
    'This report was written before the run directory was signed, if it ever was. Whether its files are the ones the run wrote, and who vouches for them, is what ',
    { code: 'gatecrash verify <run-dir> --key <the signer\'s public key>' },
    ' answers (docs/bundle.md); an unsigned or self-signed bundle proves nothing about who ran the run.',
  ],
}

/** One block per owner a board usually needs (IAM, security, compliance). */
export const REVIEWERS = 3
export const SIGN_OFF_FIELDS = ['Name', 'Role', 'Date', 'Decision (approve / reject)'] as const

/** What a failing example is looked up by: an attempt by trace id; an issued-token check judges a token, named by hash. */
export function exampleSubject(e: CaseRow['examples'][number]): { kind: 'trace' | 'token' | 'check'; id: string | null } {
  if (e.trace_id) return { kind: 'trace', id: e.trace_id }
  if (e.token_hash) return { kind: 'token', id: e.token_hash }
  return { kind: 'check', id: null }
}

/** The rule a case or check tests, in today's catalog wording (run.json carries only its refs). */
export function ruleOf(caseId: string): string | null {
  return findCase(caseId)?.rule ?? ISSUED_TOKEN_CHECKS.find((c) => c.id === caseId)?.rule ?? null
}

/** Attempts per verdict, attacks (all cases summed) beside legitimate traffic, in verdict order. */
export function verdictTotals(run: RunJson): { verdict: Verdict; attacks: number; legit: number }[] {
  return VERDICTS.map((v) => ({
    verdict: v,
    attacks: run.cases.reduce((n, c) => n + (c.counts[v] ?? 0), 0),
    legit: run.legit.counts[v] ?? 0,
  })).filter((r) => r.attacks > 0 || r.legit > 0)
}

/** A verdict in a few words, for the verdict counts a board reads without docs/architecture.md at hand. */
export const VERDICT_MEANING: Record<Verdict, string> = {
  pass: 'refused (attack) or served (legitimate) as the rules ask, and recorded faithfully',
  'not-covered': 'could not be exercised against this target: lost coverage, never a pass',
  error: 'transport failure: proves nothing either way',
  warn: 'a SHOULD/MAY/policy rule not followed, or an unlisted refusal; fails only where a gate says so',
  'false-deny': 'legitimate traffic refused',
  unrecorded: 'right response, but no evidence record matched in time',
  misattributed: 'a record names the wrong principal, actor chain, tool, tenant, decision or reason',
  breach: 'an attack on a MUST rule was accepted: always fails the run',
}
