/**
 * Synthetic rows for the join bench: the attempts of a run at 10,000 attempts/s and the one audit
 * record a mostly-correct target writes for each, hash-chained per component as the reference
 * target writes them. Everything follows from `seq` (no state but the chain heads), so the setup
 * child can generate a million of each page by page and still know, per attempt, the join and the
 * verdict it intends: the bench then checks the grader produced exactly that mix, and cannot pass by
 * joining nothing.
 *
 * Intended shape: 70 % legit (2 % refused: false-deny; 1 % recorded with the wrong actor chain:
 * misattributed), 30 % attacks over the catalog's individually graded token-attributed cases (2 %
 * accepted: breach or warn by the case's grading; 2 % refused with another error code: warn).
 * 10 % of records carry no trace id, only the token hash (joined by token and time window). A token
 * is used again only every 10 s, far outside the 2 s window, so the window join is unambiguous.
 */
import { CATALOG } from '../../harness/attacks/catalog.ts'
import type { AttackCase } from '../../harness/contracts/attack-case.ts'
import type { AttemptRecord } from '../../harness/contracts/attempt.ts'
import type { EvidenceRecord } from '../../harness/contracts/evidence.ts'
import type { Verdict } from '../../harness/contracts/verdict.ts'
import { recordHash } from '../../harness/evidence/chain.ts'
import { judgeFor } from '../../harness/oracle/group-judges.ts'
import { b64urlSha256 } from '../../harness/protocol/token-hash.ts'

export const T0 = Date.parse('2026-12-01T03:00:00.000Z')
/** attempts per second of the synthetic run: the trivial server's measured top rate */
export const RATE = 10_000
/** distinct tokens (identities): each is used every TOKENS ÷ RATE = 10 s */
const TOKENS = 100_000
const TOOLS = ['tickets.read', 'customers.read', 'refunds.write', 'tickets.write']
const COMPONENTS = ['rs-1/0', 'rs-1/1', 'rs-2/0', 'rs-2/1']

/** Cases graded one attempt at a time on the resource servers' answer: no group judge, no control, no issued-token or side-effect judge. */
export const BENCH_CASES: readonly AttackCase[] = CATALOG.filter((c) => !c.control && !c.judge && !judgeFor(c) && c.evidence.attribution === 'token' && c.evidence.decision === 'deny' && c.expect.length > 0 && c.expect[0].status >= 400)

/** a well-mixed fraction in [0, 1) per (seq, salt) (murmur3's finaliser), so outcomes do not line up with tokens or components */
function frac(seq: number, salt: number): number {
  let h = Math.imul(seq ^ salt, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) / 4294967296
}

const tokenHashes: string[] = []
const tokenOf = (k: number): string => (tokenHashes[k] ??= b64urlSha256(`bench-token-${k}`))

export type Outcome = 'pass' | 'false-deny' | 'misattributed' | 'accepted' | 'wrong-code'

export interface Row {
  attempt: AttemptRecord
  /** the record before chaining (prev/hash added by Chainer) */
  record: Omit<EvidenceRecord, 'prev' | 'hash'>
  traced: boolean
  verdict: Verdict
}

export function rowAt(seq: number): Row {
  const k = seq % TOKENS
  const scheduled = T0 + (seq * 1000) / RATE
  const started = scheduled + 0.3
  const ended = started + 2 + ((seq * 7) % 40)
  const agent = `agent_${k >> 1}`
  const sub = `subagent_${k}`
  const tool = TOOLS[seq % TOOLS.length]
  const aud = k % 2 ? 'https://rs1.example' : 'https://rs2.example'
  const tenant = `t_${k % 20}`
  const u = frac(seq, 0x9e3779b9)
  const legitKind = seq % 10 < 7
  const c = legitKind ? undefined : BENCH_CASES[Math.floor(frac(seq, 0x27d4eb2f) * BENCH_CASES.length)]
  const outcome: Outcome = legitKind ? (u < 0.02 ? 'false-deny' : u < 0.03 ? 'misattributed' : 'pass') : u < 0.02 ? 'accepted' : u < 0.04 ? 'wrong-code' : 'pass'
  const refusal = c ? c.expect[0] : { status: 403, error: 'insufficient_scope', scheme: 'DPoP' }
  const served = legitKind ? outcome !== 'false-deny' : outcome === 'accepted'
  // unique through seq, random-looking elsewhere, as a W3C trace id is
  const traceId = seq.toString(16).padStart(8, '0') + [1, 2, 3].map((salt) => ((frac(seq, salt) * 2 ** 32) >>> 0).toString(16).padStart(8, '0')).join('')
  const attempt: AttemptRecord = {
    seq,
    trace_id: traceId,
    request_id: `req-${seq}`,
    kind: legitKind ? 'legit' : 'attack',
    ...(c ? { case: c.id } : {}),
    scenario: legitKind ? 'workload' : 'attacks',
    iteration: seq,
    identity: sub,
    scheduled_at: scheduled,
    started_at: started,
    ended_at: ended,
    method: tool.endsWith('.write') ? 'POST' : 'GET',
    path: `/tools/${tool.replace('.', '/')}/${seq % 997}`,
    tool,
    expected: { principal: { sub: `user_${k % 5000}`, type: 'user' }, actors: [sub, agent], client_id: sub, tenant, tool, aud },
    status: served ? 200 : refusal.status,
    error_code: served ? null : outcome === 'wrong-code' ? 'bench_wrong_code' : refusal.error,
    challenge_scheme: served ? null : (refusal.scheme ?? null),
    transport_error: null,
    token_hash: tokenOf(k),
  }
  const traced = frac(seq, 0x165667b1) >= 0.1
  const record: Omit<EvidenceRecord, 'prev' | 'hash'> = {
    v: 1,
    id: `ev_${seq}`,
    ts: new Date(Math.floor(started) + 1).toISOString(),
    component: COMPONENTS[seq % COMPONENTS.length],
    decision: served ? 'allow' : 'deny',
    reason: served ? 'ok' : c ? `${c.evidence.area}.bench` : 'scope.insufficient',
    status: attempt.status ?? 0,
    ...(attempt.error_code ? { error: attempt.error_code } : {}),
    principal: { ...attempt.expected.principal },
    client_id: sub,
    actors: outcome === 'misattributed' ? [sub, 'agent_someone_else'] : [sub, agent],
    key: { jkt: tokenOf((k + 1) % TOKENS) },
    resource: { aud, method: attempt.method, path: attempt.path, tool, tenant },
    scope: { required: [tool.replace('.', ':')], held: ['tickets:read', 'customers:read'] },
    correlation: traced ? { trace_id: traceId, request_id: attempt.request_id, token_hash: attempt.token_hash } : { token_hash: attempt.token_hash },
    ...(c && c.evidence.detail.length > 0 ? { detail: Object.fromEntries(c.evidence.detail.map((f) => [f, 'bench'])) } : {}),
  }
  const verdict: Verdict = outcome === 'accepted' ? (c?.grading === 'must' ? 'breach' : 'warn') : outcome === 'wrong-code' ? 'warn' : outcome
  return { attempt, record, traced, verdict }
}

/** One hash chain per component, in delivery order. */
export class Chainer {
  readonly #heads = new Map<string, string | null>()

  chain(r: Omit<EvidenceRecord, 'prev' | 'hash'>): EvidenceRecord {
    const body = { ...r, prev: this.#heads.get(r.component) ?? null }
    const record = { ...body, hash: recordHash(body) } as EvidenceRecord
    this.#heads.set(r.component, record.hash)
    return record
  }
}
