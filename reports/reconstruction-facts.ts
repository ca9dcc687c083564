/**
 * What the reconstructed transactions say, apart from how a report marks them up (the Markdown report's
 * "Reconstructed transactions", report.html's): the counts sentence, the not-covered sentence, and
 * per transaction the harness's chain beside the one rebuilt from evidence, each exchange hop by
 * token hash prefix (never a token, never a whole hash: run.json and `gatecrash trace` hold those).
 * Text comes unescaped and unredacted (`Rich` for code spans); each renderer does both.
 *
 * @example
 * ```ts
 * const t = transactionFacts(run.reconstruction.transactions[0])
 * console.log(chainText(t.harness), t.rebuilt ? chainText(t.rebuilt) : '—', t.hops.map((h) => `${h.client}: ${h.token} ← ${h.parent}`))
 * ```
 */
import type { ReconstructedTransaction, RunJson } from '../harness/contracts/run-json.ts'
import type { Rich } from './report-facts.ts'

type Reconstruction = NonNullable<RunJson['reconstruction']>

/** The counts: how many transactions were judged, how many rebuilt, how many matched, and how to print one. */
export function reconstructionSentence(r: Reconstruction): Rich {
  return [
    `${r.sampled} transactions rebuilt from the target's records alone (${r.legit} legitimate, sampled by seed; ${r.attacks} failing attack ${r.attacks === 1 ? 'attempt' : 'attempts'}): ` +
      `${r.rebuilt} followed to the principal's own token, ${r.matched} naming the principal and actors the harness used. ` +
      'Each chain goes from the call\'s token through the exchange records that issued it (token hashes, issued ← exchanged); ',
    { code: 'npx gatecrash trace <run-dir> <trace-id>' },
    ' prints one in full.',
  ]
}

/**
 * When the table holds fewer transactions than were judged (run.json lists every sampled legitimate
 * one but only the first failing attacks, mismatches first): how many it shows, so its rows are not
 * taken for all of them. Null when it shows every one.
 */
export function listedSentence(r: Reconstruction): string | null {
  const shown = r.transactions.length
  if (shown >= r.sampled) return null
  const attacks = shown - r.legit
  return `The table lists ${shown} of the ${r.sampled}: every legitimate one and the first ${attacks} failing attack ${attacks === 1 ? 'attempt' : 'attempts'}, mismatches first; run.json counts all of them.`
}

/** A transaction's kind in words, for one with no attack case. */
export const KIND_LABEL: Record<ReconstructedTransaction['kind'], string> = { legit: 'legitimate', attack: 'attack' }

/** A target whose records hold no token exchange: nothing to rebuild, so the gate does not apply. */
export function notCoveredSentence(notCovered: string): Rich {
  return [`Not covered: ${notCovered}. The `, { code: 'gatecrash_reconstruction' }, ' gate has nothing to judge.']
}

/** `abcdef123456…`: enough of a token hash to tell hops apart in a table. */
export const shortHash = (h: string | null): string => (h === null ? '—' : `${h.slice(0, 12)}…`)

/** `[principal, agent, sub-agent]`: who acted for whom, principal first (run.json keeps actors current-first). */
export function chainParties(principal: string | null, actors: readonly string[]): string[] {
  return [principal ?? '(nobody)', ...[...actors].reverse()]
}

/** `principal → agent → sub-agent` */
export const chainText = (parties: readonly string[]): string => parties.join(' → ')

/** The table's columns, in order; the first is the matched mark. */
export const TRANSACTION_HEAD = ['', 'trace', 'transaction', 'the harness acted as', 'rebuilt from evidence', 'exchanges (client: issued ← subject token, scope held)', 'the call', 'mismatch'] as const

/** One exchange on the rebuilt chain: the client that made it, the token it issued ← the token it exchanged, the scope held. */
export interface HopFacts {
  client: string
  token: string
  parent: string
  scope: string | null
}

/** One transaction, ready for a table row. */
export interface TransactionFacts {
  trace: string
  matched: boolean
  /** the attack case, or `legitimate` / `attack` when it has none */
  subject: { case: string } | { kind: string }
  /** the parties, principal first (chainText joins them) */
  harness: string[]
  /** null: a link is missing, nothing rebuilt */
  rebuilt: string[] | null
  hops: HopFacts[]
  /** the call's record (tool, decision, reason as code, status); null: no record joined the attempt */
  call: Rich | null
  mismatch: string | null
}

export function transactionFacts(t: ReconstructedTransaction): TransactionFacts {
  return {
    trace: t.trace_id,
    matched: t.matched,
    subject: t.case ? { case: t.case } : { kind: KIND_LABEL[t.kind] },
    harness: chainParties(t.harness.principal, t.harness.actors),
    rebuilt: t.rebuilt ? chainParties(t.rebuilt.principal, t.rebuilt.actors) : null,
    hops: t.hops.map((h) => ({ client: h.client_id ?? '?', token: shortHash(h.token_hash), parent: shortHash(h.parent_token_hash), scope: h.scope_held ? h.scope_held.join(' ') : null })),
    call: t.call ? [`${t.call.tool ?? '?'} ${t.call.decision} `, { code: t.call.reason }, ` (${t.call.status})`] : null,
    mismatch: t.mismatch ?? null,
  }
}

/** What a transaction's empty cells say. */
export const NO_CALL_RECORD = 'no record'
