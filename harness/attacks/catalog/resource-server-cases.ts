/** Attack cases answered by a resource server (tool calls). */
import type { AttackCase } from '../catalog.ts'

export const RESOURCE_SERVER_CASES: readonly AttackCase[] = [
  {
    id: 'replay.dpop-jti-reuse',
    class: 'replay',
    title: 'Resend a request with the same DPoP proof (same jti)',
    rule: 'A proof is accepted once; a server can store jti per target URI to refuse repeats',
    refs: ['RFC 9449 §11.1', 'RFC 9449 §4.3 (11)'],
    owasp: ['ASI07'],
    grading: 'should',
    expect: [{ status: 401, error: 'invalid_dpop_proof', scheme: 'DPoP' }],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['proof_jti_hash'] },
    write: false,
  },
  {
    id: 'escalate.tool-scope',
    class: 'escalate',
    title: 'Call a tool whose scope the token lacks',
    rule: 'A request needing a scope the token does not hold is refused with insufficient_scope',
    refs: ['RFC 6750 §3.1'],
    owasp: ['ASI02', 'NHI5'],
    grading: 'must',
    expect: [{ status: 403, error: 'insufficient_scope', scheme: 'DPoP' }],
    evidence: { decision: 'deny', area: 'scope', attribution: 'token', detail: [] },
    write: true,
  },
  {
    id: 'unattributed.no-credential',
    class: 'unattributed',
    title: 'Call a tool with no credential at all',
    rule: 'No credential → 401 with a challenge and no error code',
    refs: ['RFC 6750 §3.1', 'RFC 9449 §7.1 Fig. 15'],
    owasp: ['NHI9'],
    grading: 'must',
    expect: [{ status: 401, error: null, scheme: 'DPoP' }],
    evidence: { decision: 'deny', area: 'auth', attribution: 'anonymous', detail: [] },
    write: false,
  },
]
