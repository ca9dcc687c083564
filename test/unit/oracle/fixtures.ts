/**
 * Hand-built attempts and evidence for oracle and reporter tests. Evidence records get a valid
 * per-component hash chain (recordHash), as a correct target writes them, so tests that are not
 * about the chain never trip over it.
 */
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import { recordHash } from '../../../harness/evidence/chain.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'

export const T0 = Date.parse('2026-11-26T03:00:00.000Z')

export function legit(seq: number, over: Partial<AttemptRecord> = {}): AttemptRecord {
  const scheduled = T0 + seq * 100
  return {
    seq,
    trace_id: `trace${String(seq).padStart(4, '0')}`,
    request_id: `req-${seq}`,
    kind: 'legit',
    scenario: 'workload',
    scheduled_at: scheduled,
    started_at: scheduled + 1,
    ended_at: scheduled + 11,
    method: 'GET',
    path: '/tools/tickets/1',
    tool: 'tickets.read',
    expected: {
      principal: { sub: 'user_1', type: 'user' },
      actors: ['subagent_1', 'agent_1'],
      client_id: 'subagent_1',
      tenant: 't_1',
      tool: 'tickets.read',
      aud: 'https://rs1.example',
    },
    status: 200,
    error_code: null,
    challenge_scheme: null,
    transport_error: null,
    token_hash: `tokhash-${seq}`,
    ...over,
  }
}

/** An attack attempt that got the catalog's expected answer for the case. */
export function attack(seq: number, caseId: string, over: Partial<AttemptRecord> = {}): AttemptRecord {
  const refused: Partial<AttemptRecord> =
    caseId === 'escalate.tool-scope'
      ? { status: 403, error_code: 'insufficient_scope', challenge_scheme: 'DPoP', method: 'POST', tool: 'refund.issue' }
      : caseId === 'unattributed.no-credential'
        ? { status: 401, error_code: null, challenge_scheme: 'DPoP', token_hash: null }
        : { status: 401, error_code: 'invalid_dpop_proof', challenge_scheme: 'DPoP' }
  return legit(seq, { kind: 'attack', case: caseId, ...refused, ...over })
}

type RecordInput = Partial<Omit<EvidenceRecord, 'prev' | 'hash'>>

/** The record a correct target writes for this attempt. */
export function recordFor(a: AttemptRecord, over: RecordInput = {}): RecordInput {
  const anonymous = a.case === 'unattributed.no-credential'
  const reason =
    a.kind === 'legit' ? 'ok'
      : a.case === 'escalate.tool-scope' ? 'scope.insufficient'
        : anonymous ? 'auth.missing'
          : 'dpop.jti_replay'
  return {
    ts: new Date(a.started_at + 5).toISOString(),
    decision: a.status !== null && a.status < 300 ? 'allow' : 'deny',
    reason,
    status: a.status ?? 0,
    ...(a.error_code ? { error: a.error_code } : {}),
    principal: anonymous ? { sub: null, type: 'anonymous' } : { ...a.expected.principal },
    client_id: anonymous ? null : a.expected.client_id,
    actors: anonymous ? [] : [...a.expected.actors],
    resource: { aud: a.expected.aud, method: a.method, path: a.path, tool: a.expected.tool, tenant: a.expected.tenant },
    correlation: { trace_id: a.trace_id, request_id: a.request_id, token_hash: a.token_hash },
    ...(a.case === 'replay.dpop-jti-reuse' ? { detail: { proof_jti_hash: 'jtihash' } } : {}),
    ...over,
  }
}

/** Turns partial records into a valid evidence stream: ids, defaults, and one hash chain per component. */
export function chain(inputs: RecordInput[]): EvidenceRecord[] {
  const heads = new Map<string, string | null>()
  return inputs.map((input, i) => {
    const component = input.component ?? 'rs-1'
    const body: Omit<EvidenceRecord, 'hash'> = {
      v: 1,
      id: input.id ?? `ev_${i + 1}`,
      ts: input.ts ?? new Date(T0).toISOString(),
      component,
      decision: input.decision ?? 'deny',
      reason: input.reason ?? 'auth.missing',
      status: input.status ?? 401,
      principal: input.principal ?? { sub: null, type: 'anonymous' },
      actors: input.actors ?? [],
      resource: input.resource ?? {},
      correlation: input.correlation ?? {},
      ...input,
      prev: heads.get(component) ?? null,
    } as Omit<EvidenceRecord, 'hash'>
    const record = { ...body, hash: recordHash(body) }
    heads.set(component, record.hash)
    return record
  })
}

/**
 * Seven attempts covering what the metrics must sort apart: a pass, a false deny inside a fault
 * window (T0 + 4 s … 6 s), a transport error, a blocked and an accepted must-attack, a should-case
 * record with the wrong actors, and an unknown case.
 */
export function metricsTraffic(): { attempts: AttemptRecord[]; evidence: EvidenceRecord[] } {
  const attempts = [
    legit(1),
    legit(2, { status: 403, error_code: 'insufficient_scope', challenge_scheme: 'DPoP', scheduled_at: T0 + 5_000, started_at: T0 + 5_001, ended_at: T0 + 5_040 }),
    legit(3, { status: null, transport_error: 'ECONNRESET' }),
    attack(4, 'escalate.tool-scope'),
    attack(5, 'escalate.tool-scope', { status: 200, error_code: null, challenge_scheme: null }),
    attack(6, 'replay.dpop-jti-reuse', { ended_at: legit(6).scheduled_at + 250 }),
    attack(7, 'replay.no-such-case'),
  ]
  const evidence = chain([recordFor(attempts[0]), recordFor(attempts[1]), recordFor(attempts[3]), recordFor(attempts[5], { actors: [] })])
  return { attempts, evidence }
}
