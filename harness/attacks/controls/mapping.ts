/**
 * Which controls each case, check and gate gives evidence for (docs/controls.md says why, control
 * by control). Three sources, so nothing is said twice:
 * - OWASP ASI and NHI: the case's own `owasp` field, split by prefix (the catalog is where a case's
 *   risk is decided; this file only files it under its list);
 * - the cited specifications: the case's `refs`, by document (frameworks.ts citedDocument);
 * - NIST SP 800-53 and AI RMF: the table below, by case id or family, the longest match winning.
 * Every case and check needs a row (test/unit/attacks/controls.test.ts).
 *
 * AI RMF is mapped conservatively: every case and check is a security evaluation (MEASURE 2.7);
 * only what is about who acted for whom adds MEASURE 2.8, and only cases that test the kill switch
 * (revocation, offboarding) add MANAGE 2.4 and 4.1.
 */
import type { ControlEvidence, FrameworkId } from '../../contracts/controls.ts'
import { CATALOG } from '../catalog.ts'
import { ISSUED_TOKEN_CHECKS } from '../catalog/issued-token-checks.ts'
import { citedDocument } from './frameworks.ts'

interface Row {
  /** SP 800-53 Rev. 5 controls */
  sp: readonly string[]
  /** AI RMF subcategories besides MEASURE 2.7 */
  rmf?: readonly string[]
}

const ACCOUNTABILITY = ['MEASURE 2.8']
const KILL_SWITCH = ['MANAGE 2.4', 'MANAGE 4.1']

/** By case id or family (an id prefix ending at a segment); the longest key that matches wins. */
const CASE_ROWS: Readonly<Record<string, Row>> = {
  // DPoP proofs at a resource server: a proof is the agent's per-request authentication, so a
  // replayed or re-aimed one is a replayed authentication (IA-2(8)) of a service (IA-9) and a
  // session not bound to its holder (SC-23).
  'replay.dpop-jti-reuse': { sp: ['IA-2(8)', 'IA-9', 'SC-23'] },
  'replay.dpop-htu-htm': { sp: ['IA-2(8)', 'IA-9', 'SC-23'] },
  'replay.dpop-htu-origin': { sp: ['IA-2(8)', 'IA-9', 'SC-23'] },
  'replay.dpop-iat-window': { sp: ['IA-2(8)', 'IA-9', 'SC-23'] },
  // controls a correct server accepts: they show the htu check does not refuse lawful proofs
  'replay.dpop-htu-normalise': { sp: ['IA-9', 'SC-23'] },
  // a defective proof: the key proof itself (public key-based authentication)
  'replay.dpop-malformed': { sp: ['IA-5(2)', 'IA-9', 'SC-23'] },
  'replay.dpop-malformed.alg-none': { sp: ['IA-5(2)', 'IA-9', 'SC-13', 'SC-23'] },
  'replay.dpop-malformed.alg-hs256': { sp: ['IA-5(2)', 'IA-9', 'SC-13', 'SC-23'] },
  // a stolen sender-constrained token used without its key: session authenticity
  'replay.dpop-no-proof': { sp: ['IA-9', 'SC-23'] },
  'replay.bearer-downgrade': { sp: ['IA-9', 'SC-23'] },
  'replay.foreign-key': { sp: ['IA-5(2)', 'IA-9', 'SC-23'] },
  'replay.ath-swap': { sp: ['IA-9', 'SC-23'] },
  'replay.dual-scheme': { sp: ['SC-23', 'SI-10'] },
  'replay.cross-audience': { sp: ['AC-3', 'SC-23'] },
  'replay.token-dpop': { sp: ['IA-2(8)', 'IA-9', 'SC-23'] },
  'replay.token-dpop.alg-none': { sp: ['IA-2(8)', 'IA-9', 'SC-13', 'SC-23'] },
  'replay.token-dpop.missing': { sp: ['IA-9', 'SC-23'] },
  'replay.exchange-laundering': { sp: ['AC-3', 'SC-23'] },
  // Privilege at the resource server
  'escalate.tool-scope': { sp: ['AC-3', 'AC-6'] },
  'escalate.nested-act': { sp: ['AC-3', 'AC-6'] },
  'escalate.cross-tenant': { sp: ['AC-3'] },
  'escalate.internal-endpoint': { sp: ['AC-3', 'AC-6(10)', 'SC-7'] },
  'escalate.limit': { sp: ['AC-3', 'SI-10'] },
  'escalate.subagent-passthrough': { sp: ['AC-6', 'SC-23'] },
  // Tokens the resource server must not trust at all: who is authenticated is decided by the token
  'escalate.forged-jwt': { sp: ['IA-2', 'SC-13', 'SC-23'] },
  'escalate.claim-tamper': { sp: ['IA-2', 'SC-13', 'SC-23'] },
  'escalate.typ-confusion': { sp: ['IA-2', 'SC-23'] },
  'escalate.foreign-issuer': { sp: ['IA-2', 'IA-9'] },
  'unattributed.no-credential': { sp: ['AC-14', 'IA-2'] },
  'unattributed.agent-as-user': { sp: ['AC-3', 'AU-10', 'IA-2'], rmf: ACCOUNTABILITY },
  // Token exchange and client credentials: what a token may hold
  'escalate.exchange-upscope': { sp: ['AC-3', 'AC-6'] },
  'escalate.exchange-scope': { sp: ['AC-3', 'AC-6'] },
  'escalate.exchange-target': { sp: ['AC-3', 'AC-6'] },
  'escalate.client-credentials.upscope': { sp: ['AC-3', 'AC-6'] },
  'escalate.unregistered-grant': { sp: ['AC-3', 'AC-6'] },
  'lifecycle.reexchange-widen': { sp: ['AC-3', 'AC-6'] },
  'escalate.may-act': { sp: ['AC-3'] },
  'escalate.param-pollution': { sp: ['AC-3', 'SI-10'] },
  // Who acts: the actor, the client, the user behind the subject token
  'unattributed.actor-spoof': { sp: ['AU-10', 'IA-2', 'IA-9'], rmf: ACCOUNTABILITY },
  'unattributed.anon-exchange': { sp: ['AU-10', 'IA-9'], rmf: ACCOUNTABILITY },
  'unattributed.client-credentials.no-auth': { sp: ['IA-9'] },
  // client assertions (private_key_jwt): public key-based authentication of the client, which maps
  // the key to the client it names (IA-5(2)(a)(2))
  'unattributed.client-assertion': { sp: ['IA-5(2)', 'IA-9'] },
  'unattributed.client-assertion.access-token': { sp: ['IA-9'] },
  'unattributed.client-assertion.alg-none': { sp: ['IA-5(2)', 'IA-9', 'SC-13'] },
  'unattributed.client-assertion.hs256-public-key': { sp: ['IA-5(2)', 'IA-9', 'SC-13'] },
  // an assertion made for another server, or used twice: replayed authentication
  'unattributed.client-assertion.wrong-aud': { sp: ['IA-2(8)', 'IA-9'] },
  'unattributed.client-assertion.aud-issuer-prefix': { sp: ['IA-2(8)', 'IA-9'] },
  'unattributed.client-assertion.aud-other-host': { sp: ['IA-2(8)', 'IA-9'] },
  'unattributed.client-assertion.aud-array-extra': { sp: ['IA-2(8)', 'IA-9'] },
  'unattributed.client-assertion.aud-other-endpoint': { sp: ['IA-2(8)', 'IA-9'] },
  'unattributed.client-assertion.jti-reuse': { sp: ['IA-2(8)', 'IA-9'] },
  // an assertion's lifetime: an authenticator without or past its expiry
  'unattributed.client-assertion.expired': { sp: ['IA-5', 'IA-9'] },
  'unattributed.client-assertion.no-exp': { sp: ['IA-5', 'IA-9'] },
  'unattributed.client-assertion.nbf-future': { sp: ['IA-5', 'IA-9'] },
  'unattributed.client-assertion.iat-old': { sp: ['IA-5', 'IA-9'] },
  'escalate.subject-token': { sp: ['IA-2'] },
  'escalate.subject-token.alg-none': { sp: ['IA-2', 'SC-13'] },
  'escalate.subject-token.other-aud': { sp: ['IA-2', 'IA-2(8)'] },
  'escalate.subject-token.nbf-future': { sp: ['IA-2', 'IA-5'] },
  // Registration: agents are accounts
  'unattributed.registration.no-initial-token': { sp: ['AC-2'] },
  'escalate.registration.other-client': { sp: ['AC-2', 'AC-3'] },
  'escalate.registration': { sp: ['AC-2', 'AC-6'] },
  'escalate.revoke.other-client': { sp: ['AC-3'] },
  // Lifecycle: expiry, revocation, offboarding, key retirement
  'lifecycle.expired-at': { sp: ['AC-12', 'IA-5'] },
  'lifecycle.expired-subject': { sp: ['IA-2', 'IA-5'] },
  'lifecycle.revoked-at': { sp: ['AC-12', 'IA-5'], rmf: KILL_SWITCH },
  'lifecycle.revoke-invalid-token': { sp: ['IA-5'] },
  'lifecycle.offboarded-agent': { sp: ['AC-2'], rmf: KILL_SWITCH },
  'lifecycle.offboarded-agent.token-request': { sp: ['AC-2', 'IA-9'], rmf: KILL_SWITCH },
  'lifecycle.offboarded-agent.old-token': { sp: ['AC-2', 'AC-12'], rmf: KILL_SWITCH },
  'lifecycle.offboarded-agent.registration-read': { sp: ['AC-2', 'IA-5'], rmf: KILL_SWITCH },
  'lifecycle.retired-key': { sp: ['IA-5(13)', 'SC-12'] },
  // Checks on every token the run receives, on the AS's keys and on every evidence record
  'issued.jwt-profile': { sp: ['IA-5', 'SC-13'] },
  'issued.no-store': { sp: ['IA-5'] },
  'issued.cnf-jkt': { sp: ['IA-5(2)', 'SC-23'] },
  'issued.aud': { sp: ['AC-6'] },
  'issued.act-chain': { sp: ['AU-3', 'AU-10', 'IA-2'], rmf: ACCOUNTABILITY },
  'issued.scope': { sp: ['AC-6'] },
  'issued.lifetime': { sp: ['AC-12', 'IA-5'] },
  'metadata.jwks-public': { sp: ['IA-5', 'SC-12'] },
  'evidence.no-secrets': { sp: ['IA-5'] },
}

/**
 * The run-wide gates on the audit trail: every attack case needs its record, so these speak for
 * the trail as a whole (a failing one names the cases behind it in the gate row).
 */
const GATE_ROWS: Readonly<Record<string, Row>> = {
  gatecrash_evidence_coverage: { sp: ['AU-2', 'AU-12'], rmf: ACCOUNTABILITY },
  gatecrash_attribution_accuracy: { sp: ['AU-3', 'AU-10'], rmf: ACCOUNTABILITY },
  gatecrash_evidence_integrity: { sp: ['AU-9', 'AU-10'], rmf: ACCOUNTABILITY },
  // who acted on whose behalf, rebuilt from the records alone: their content and non-repudiation
  gatecrash_reconstruction: { sp: ['AU-3', 'AU-10'], rmf: ACCOUNTABILITY },
}

/** The table row for a case or check id: the longest key that is the id or a prefix of it ending at a segment. */
export function rowFor(id: string): Row | undefined {
  let best: string | undefined
  for (const key of Object.keys(CASE_ROWS)) {
    if ((id === key || id.startsWith(`${key}.`)) && (best === undefined || key.length > best.length)) best = key
  }
  return best === undefined ? undefined : CASE_ROWS[best]
}

function owaspOf(ids: readonly string[], prefix: string): string[] {
  return ids.filter((o) => o.startsWith(prefix))
}

function refsOf(refs: readonly string[]): string[] {
  return [...new Set(refs.map(citedDocument).filter((d): d is string => d !== null))]
}

/** Every case and check of the catalog, then the gates, with the controls each evidences. */
export function controlEvidence(): ControlEvidence[] {
  const out: ControlEvidence[] = []
  for (const c of [...CATALOG, ...ISSUED_TOKEN_CHECKS]) {
    const row = rowFor(c.id)
    const controls: Partial<Record<FrameworkId, readonly string[]>> = {
      'owasp-asi': owaspOf(c.owasp, 'ASI'),
      'owasp-nhi': owaspOf(c.owasp, 'NHI'),
      'nist-800-53': row?.sp ?? [],
      'nist-ai-rmf': row ? ['MEASURE 2.7', ...(row.rmf ?? [])] : [],
      refs: refsOf(c.refs),
    }
    out.push({ kind: 'case', id: c.id, controls })
  }
  for (const [metric, row] of Object.entries(GATE_ROWS)) {
    out.push({ kind: 'gate', id: metric, controls: { 'nist-800-53': row.sp, 'nist-ai-rmf': row.rmf ?? [] } })
  }
  return out
}
