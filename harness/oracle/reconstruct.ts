/**
 * Reconstruction: the README promises that "every action can be reconstructed from the audit
 * trail"; this checks it. For a seeded sample of legitimate calls and for every failing attack, the
 * transaction is rebuilt from the target's records alone (docs/evidence-schema.md, "Token exchange
 * links"): the call's record names the token presented (`correlation.token_hash`); the exchange
 * record that issued that token (the same hash in its `correlation.token_hash`) names the subject
 * token exchanged for it (`correlation.parent_token_hash`); and so on up to a subject token no
 * exchange issued, the principal's own. The chain rebuilt that way (principal, then each hop's
 * client) is compared with what the harness knows it sent: the attempt's principal and actor chain.
 *
 * Bounded work at any size: the legitimate sample is drawn by probing seeded seqs (a primary-key
 * lookup each), and each transaction costs a few indexed lookups by token hash, memoised. No I/O
 * of its own: a ReconstructSource (run/run-store.ts) answers.
 *
 * @example
 *   const r = reconstruct(store, { seed: 1, metrics })   // run.json's `reconstruction`
 */
import type { AttemptRecord } from '../contracts/attempt.ts'
import { isExchangeRecord, type EvidenceRecord } from '../contracts/evidence.ts'
import type { ReconstructedHop, ReconstructedTransaction, RunJson } from '../contracts/run-json.ts'
import type { Verdict } from '../contracts/verdict.ts'
import { addSample, type MetricSet } from './metric-set.ts'

export type Reconstruction = NonNullable<RunJson['reconstruction']>

/** What reconstruction asks of a store. */
export interface ReconstructSource {
  /** whether the run kept the exchange records read before measuring (provisioning's); false in older run stores */
  exchangesKept(): boolean
  exchangeCount(): number
  seqRange(): { min: number; max: number } | null
  /** the attempt with this seq if it is legitimate and a record joined it */
  recordedLegit(seq: number): AttemptRecord | undefined
  /** attack attempts graded with one of these verdicts, in seq order */
  attacksWithVerdict(verdicts: readonly Verdict[]): Iterable<AttemptRecord>
  /** the records joined to an attempt */
  recordsOf(seq: number): EvidenceRecord[]
  /** the allowed exchange record whose correlation.token_hash is this hash */
  exchangeIssuing(tokenHash: string): EvidenceRecord | undefined
}

/** Legitimate transactions sampled: half from agents, half from sub-agents (depth ≥ 2) where there are any. */
export const LEGIT_SAMPLE = 20
/** failing attacks listed in run.json (all are judged and counted), mismatches first */
export const MAX_LISTED_ATTACKS = 20
/** seqs probed per transaction sampled, at most: a run with little recorded legitimate traffic still ends */
const PROBES_PER_SAMPLE = 50
/** delegation deeper than this is taken for records that link in a loop */
const MAX_HOPS = 32
/**
 * Attack verdicts that fail a run: for each, the trail must still tell who acted for whom. Not
 * `warn`: an attack a SHOULD or MAY rule lets the target accept is held to the attribution of its
 * refusal, which does not describe the transaction the target lawfully let happen (the grader holds
 * such an allow record to nothing either, grader 4); the legitimate sample judges those chains.
 */
export const FAILING_ATTACK: readonly Verdict[] = ['false-deny', 'unrecorded', 'misattributed', 'breach']

export const RECONSTRUCTION_METRIC = 'gatecrash_reconstruction'

export interface ReconstructInput {
  /** the run's seed: the same run samples the same transactions */
  seed: number
  /** legitimate transactions to sample (default LEGIT_SAMPLE) */
  sample?: number
  /** gets one gatecrash_reconstruction sample per transaction judged: 1 rebuilt and matching, 0 not */
  metrics?: MetricSet
}

export function reconstruct(source: ReconstructSource, input: ReconstructInput): Reconstruction {
  const empty = { sampled: 0, legit: 0, attacks: 0, rebuilt: 0, matched: 0, transactions: [] }
  if (!source.exchangesKept()) {
    return { ...empty, not_covered: 'the run store predates reconstruction: the exchange records provisioning wrote were not kept (run it again to judge it)' }
  }
  if (source.exchangeCount() === 0) {
    return { ...empty, not_covered: 'the target records no token exchange (no record with resource.tool token.exchange or a reason in the exchange area): its trail cannot say who delegated to whom' }
  }
  const links = new ExchangeLinks(source)
  const out: Reconstruction = { ...empty, transactions: [] }
  const judge = (a: AttemptRecord): ReconstructedTransaction => {
    const t = rebuild(a, source.recordsOf(a.seq), links)
    out.sampled++
    if (t.rebuilt) out.rebuilt++
    if (t.matched) out.matched++
    if (input.metrics) addSample(input.metrics, RECONSTRUCTION_METRIC, 'rate', t.matched ? 1 : 0, { kind: a.kind, case: a.kind === 'attack' ? (a.case ?? '') : '' })
    return t
  }
  for (const a of sampleLegit(source, input.seed, input.sample ?? LEGIT_SAMPLE)) {
    out.legit++
    out.transactions.push(judge(a))
  }
  const mismatched: ReconstructedTransaction[] = []
  const matched: ReconstructedTransaction[] = []
  for (const a of source.attacksWithVerdict(FAILING_ATTACK)) {
    out.attacks++
    const t = judge(a)
    const list = t.matched ? matched : mismatched
    if (list.length < MAX_LISTED_ATTACKS) list.push(t)
  }
  out.transactions.push(...[...mismatched, ...matched].slice(0, MAX_LISTED_ATTACKS))
  return out
}

/**
 * Legitimate attempts a record joined, probed at seeded seqs: up to half from agents (one actor)
 * and half from sub-agents, one per identity while there are enough, topped up from whichever kind
 * there is more of. In seq order.
 */
export function sampleLegit(source: Pick<ReconstructSource, 'seqRange' | 'recordedLegit'>, seed: number, n: number): AttemptRecord[] {
  const range = source.seqRange()
  if (range === null || n <= 0) return []
  const next = seeded(seed)
  const span = range.max - range.min + 1
  const half = Math.ceil(n / 2)
  const probed = new Set<number>()
  const identities = new Set<string>()
  const agents: AttemptRecord[] = []
  const subAgents: AttemptRecord[] = []
  const spare: AttemptRecord[] = []
  for (let probe = 0; probe < n * PROBES_PER_SAMPLE && probed.size < span && (agents.length < half || subAgents.length < half); probe++) {
    const seq = range.min + Math.floor(next() * span)
    if (probed.has(seq)) continue
    probed.add(seq)
    const a = source.recordedLegit(seq)
    if (!a) continue
    const bucket = a.expected.actors.length >= 2 ? subAgents : agents
    const who = a.identity ?? a.expected.client_id ?? ''
    if (bucket.length < half && !identities.has(who)) {
      bucket.push(a)
      identities.add(who)
    } else if (spare.length < n) {
      spare.push(a)
    }
  }
  const chosen = [...agents, ...subAgents, ...spare].slice(0, n)
  return chosen.sort((x, y) => x.seq - y.seq)
}

/** mulberry32: a small seeded generator, so the sample depends on the seed alone */
function seeded(seed: number): () => number {
  let s = (seed ^ 0x5eed5eed) >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** Exchange lookups by issued-token hash, remembered: the sample's chains share their agents' hops. */
class ExchangeLinks {
  readonly #source: ReconstructSource
  readonly #memo = new Map<string, EvidenceRecord | null>()
  constructor(source: ReconstructSource) {
    this.#source = source
  }

  issuing(tokenHash: string): EvidenceRecord | undefined {
    let r = this.#memo.get(tokenHash)
    if (r === undefined) {
      r = this.#source.exchangeIssuing(tokenHash) ?? null
      // every hop of a large run's failing attacks would stay: keep the memo to a run's agents
      if (this.#memo.size > 100_000) this.#memo.clear()
      this.#memo.set(tokenHash, r)
    }
    return r ?? undefined
  }
}

function hopOf(r: EvidenceRecord): ReconstructedHop {
  return {
    record_id: r.id,
    client_id: r.client_id ?? r.actors[0] ?? null,
    principal: r.principal?.sub ?? null,
    actors: r.actors ?? [],
    token_hash: r.correlation?.token_hash ?? null,
    parent_token_hash: r.correlation?.parent_token_hash ?? null,
    decision: r.decision,
    ...(r.scope?.required ? { scope_required: r.scope.required } : {}),
    ...(r.scope?.held ? { scope_held: r.scope.held } : {}),
  }
}

/** The record that stands for the call: the one naming the token the harness presented, else the first. */
function callRecord(a: AttemptRecord, records: readonly EvidenceRecord[]): EvidenceRecord | undefined {
  return (a.token_hash ? records.find((r) => r.correlation?.token_hash === a.token_hash) : undefined) ?? records[0]
}

/** `principal → agent → sub-agent`: the order a delegation is told in (actors are current-first). */
export function chainText(principal: string | null, actors: readonly string[]): string {
  return [principal ?? '(nobody)', ...[...actors].reverse()].join(' → ')
}

const sameList = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every((v, i) => v === y[i])

/** One transaction rebuilt from its records and the exchange records they link to. */
export function rebuild(a: AttemptRecord, records: readonly EvidenceRecord[], links: { issuing(tokenHash: string): EvidenceRecord | undefined }): ReconstructedTransaction {
  const harness = { identity: a.identity ?? null, principal: a.expected.principal.sub, actors: a.expected.actors, token_hash: a.token_hash ?? null }
  const base = { trace_id: a.trace_id, seq: a.seq, kind: a.kind, ...(a.case !== undefined ? { case: a.case } : {}), harness }
  const call = callRecord(a, records)
  if (!call) return { ...base, call: null, hops: [], root_token_hash: null, rebuilt: null, matched: false, mismatch: 'no record of the call joined it: the trail does not show it happened' }
  const callView = {
    record_id: call.id, component: call.component, tool: call.resource?.tool ?? null, decision: call.decision,
    reason: call.reason, status: call.status, token_hash: call.correlation?.token_hash ?? null,
  }
  const hops: ReconstructedHop[] = []
  const broken = (mismatch: string): ReconstructedTransaction => ({ ...base, call: callView, hops: hops.reverse(), root_token_hash: null, rebuilt: null, matched: false, mismatch })

  // The exchange the chain ends in: the call itself (a token request), else the one that issued the presented token.
  let leaf: EvidenceRecord | undefined
  if (isExchangeRecord(call)) {
    leaf = call
  } else {
    const presented = callView.token_hash
    if (presented === null) {
      if (harness.token_hash) return broken(`the call's record ${call.id} names no token (correlation.token_hash); the harness presented ${harness.token_hash}`)
      // no credential, no delegation: the trail says nobody acted for anyone
      return judged(base, callView, [], null, { principal: null, actors: [] })
    }
    if (harness.token_hash && presented !== harness.token_hash) return broken(`the call's record ${call.id} names token ${presented}; the harness presented ${harness.token_hash}`)
    leaf = links.issuing(presented)
    if (!leaf) return broken(`no exchange record issued token ${presented} (none has it as correlation.token_hash): who delegated it is not in the trail`)
  }
  let root: string | null = null
  for (let hop: EvidenceRecord | undefined = leaf; hop !== undefined; ) {
    if (hops.length >= MAX_HOPS) return broken(`exchange records link more than ${MAX_HOPS} deep from token ${callView.token_hash}: a loop`)
    hops.push(hopOf(hop))
    const subject = hop.correlation?.parent_token_hash
    if (!subject) return broken(`exchange record ${hop.id} names no subject token (correlation.parent_token_hash): the link to whoever delegated to ${hopOf(hop).client_id ?? 'its client'} is missing`)
    const up = links.issuing(subject)
    if (!up) root = subject
    hop = up
  }
  hops.reverse()
  // Each hop acts for the principal of the hop it exchanged: one principal along the chain.
  const principal = hops[0].principal
  const other = hops.find((h) => h.principal !== principal)
  const rebuilt = { principal, actors: hops.map((h) => h.client_id ?? '(unknown client)').reverse() }
  if (other) return { ...judged(base, callView, hops, root, rebuilt), matched: false, mismatch: `exchange record ${other.record_id} acts for ${other.principal ?? 'nobody'}, the exchange it follows for ${principal ?? 'nobody'}` }
  return judged(base, callView, hops, root, rebuilt)
}

function judged(base: Pick<ReconstructedTransaction, 'trace_id' | 'seq' | 'kind' | 'case' | 'harness'>, call: ReconstructedTransaction['call'], hops: ReconstructedHop[], root: string | null, rebuilt: { principal: string | null; actors: string[] }): ReconstructedTransaction {
  const h = base.harness
  const matched = rebuilt.principal === h.principal && sameList(rebuilt.actors, h.actors)
  return {
    ...base, call, hops, root_token_hash: root, rebuilt, matched,
    ...(matched ? {} : { mismatch: `the trail says ${chainText(rebuilt.principal, rebuilt.actors)}; the harness acted as ${chainText(h.principal, h.actors)}` }),
  }
}

/** A failing reconstruction gate names the first transaction it could not rebuild or match, and why. */
export function explainReconstruction<G extends { metric: string; ok: boolean; detail?: string }>(gates: G[], r: Reconstruction | undefined): G[] {
  const first = r?.transactions.find((t) => !t.matched)
  if (!r || !first) return gates
  const detail = `${r.sampled - r.matched} of ${r.sampled} transactions not rebuilt from evidence; trace ${first.trace_id} (${first.case ?? first.kind}): ${first.mismatch}`
  return gates.map((g) => (!g.ok && g.metric.startsWith(RECONSTRUCTION_METRIC) ? { ...g, detail } : g))
}
