/**
 * Attack cases set up or answered at the authorization server: token exchange (RFC 8693) and
 * client authentication (RFC 7523) at the token endpoint, and the lifecycle cases whose token is
 * killed at the AS (expiry, RFC 7009 revocation, RFC 7592 deletion, key retirement) and then tried
 * at a resource server.
 *
 * Attribution (harness/attacks/as/token-attempt.ts): with no authenticated client the record names
 * nobody (`anonymous`); otherwise it must match the attempt's expected attribution, which names the
 * subject's principal and would-be actor chain where the subject was trusted, and only the client
 * (client_id, no principal, no actors) where the request was refused before any token was trusted.
 */
import type { AttackCase, ExpectedResponse } from '../../contracts/attack-case.ts'

const INVALID_CLIENT: ExpectedResponse[] = [
  { status: 401, error: 'invalid_client' },
  { status: 400, error: 'invalid_client' },
]
/** RFC 8693 §2.2.2 says invalid_request; invalid_grant (RFC 6749 §5.2) is common in the field */
const INVALID_SUBJECT: ExpectedResponse[] = [
  { status: 400, error: 'invalid_request' },
  { status: 400, error: 'invalid_grant' },
]
const DEAD_TOKEN: ExpectedResponse[] = [{ status: 401, error: 'invalid_token', scheme: 'DPoP' }]

/**
 * A client_id that disagrees with the assertion (or an assertion whose sub is not its iss) is also
 * a malformed request: RFC 6749 §5.2 invalid_request covers "utilizes more than one mechanism" and
 * "otherwise malformed", and oidc-provider answers it so. Either refusal passes.
 */
const INVALID_CLIENT_OR_REQUEST: ExpectedResponse[] = [...INVALID_CLIENT, { status: 400, error: 'invalid_request' }]

function clientAssertion(variant: string, title: string, rule: string, grading: 'must' | 'should' | 'may', detail: string[], moreRefs: string[] = [], expect: ExpectedResponse[] = INVALID_CLIENT): AttackCase {
  return {
    id: `unattributed.client-assertion.${variant}`,
    class: 'unattributed',
    title,
    rule,
    refs: ['RFC 7523 §3', ...moreRefs, 'RFC 6749 §5.2'],
    owasp: ['NHI4', 'ASI03'],
    grading,
    expect,
    evidence: { decision: 'deny', area: 'client', attribution: 'anonymous', detail },
    write: false,
    needs: ['tokenExchange'],
  }
}

/**
 * escalate.exchange-scope.<variant>: a token exchange whose `scope` parameter is the variable, judged
 * on the issued token against what the client may hold (its registration ∩ the subject token's scope
 * ∩ the resource's scopes): RFC 8693 §2.2.1 and RFC 6749 §3.3 let the AS grant less, never more.
 */
function exchangeScope(variant: string, title: string, rule: string, refs: string[], expect: ExpectedResponse[], evidence: AttackCase['evidence'], needs: NonNullable<AttackCase['needs']>): AttackCase {
  return {
    id: `escalate.exchange-scope.${variant}`,
    class: 'escalate',
    title,
    rule,
    refs: ['RFC 8693 §2.1', 'RFC 8693 §2.2.1', ...refs],
    owasp: ['ASI03', 'NHI5'],
    grading: 'must',
    expect,
    evidence,
    write: false,
    judge: 'issued-token',
    needs,
  }
}

/**
 * A user assertion the AS must not trust, exchanged by the agent acting for that user
 * (harness/attacks/as/escalate-subject-token.ts): refused before the subject is trusted, so the
 * record names the authenticated agent only.
 */
function subjectToken(variant: string, title: string, rule: string, detail: string[], refs: string[], signedByHarnessIdp = false): AttackCase {
  return {
    id: `escalate.subject-token.${variant}`,
    class: 'escalate',
    title,
    rule,
    refs: ['RFC 8693 §2.1', ...refs, 'RFC 8693 §2.2.2'],
    owasp: ['ASI03', 'NHI4'],
    grading: 'must',
    expect: INVALID_SUBJECT,
    evidence: { decision: 'deny', area: 'exchange', attribution: 'token', detail },
    write: false,
    // only a case whose assertion the IdP must sign with chosen claims needs the harness's IdP;
    // the others re-sign (or sign) what any subject-token source hands out
    needs: signedByHarnessIdp ? ['tokenExchange', 'harnessIdp'] : ['tokenExchange'],
  }
}

/**
 * The carrier's ordinary exchange with a DPoP proof the token endpoint must refuse
 * (harness/attacks/as/replay-token-dpop.ts). RFC 9449 §5 names the error, invalid_dpop_proof;
 * §5.2 names none for a missing proof, so invalid_request is also listed there. The client is
 * authenticated and no subject trusted yet: the record names the client only.
 */
function tokenDpop(variant: string, title: string, rule: string, refs: string[], expect: ExpectedResponse[] = [{ status: 400, error: 'invalid_dpop_proof' }]): AttackCase {
  return {
    id: `replay.token-dpop.${variant}`,
    class: 'replay',
    title,
    rule,
    refs: ['RFC 9449 §5', ...refs],
    owasp: ['ASI07'],
    grading: 'must',
    expect,
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: [] },
    write: false,
    needs: ['tokenExchange', 'dpop'],
  }
}

/** RFC 7591 §2: registration beyond the registrant's policy, judged by what the new client gained. */
function beyondPolicy(variant: string, title: string, rule: string, moreRefs: string[] = []): AttackCase {
  return {
    id: `escalate.registration.${variant}`,
    class: 'escalate',
    title,
    rule,
    refs: ['RFC 7591 §2', 'RFC 7591 §3.2.2', ...moreRefs],
    owasp: ['ASI03', 'NHI5'],
    grading: 'must',
    expect: [{ status: 400, error: 'invalid_client_metadata' }],
    evidence: { decision: 'deny', area: 'client', attribution: 'anonymous', detail: [] },
    write: true,
    judge: 'side-effect',
    needs: ['registration'],
  }
}

export const AUTHORIZATION_SERVER_CASES: readonly AttackCase[] = [
  {
    id: 'replay.exchange-laundering',
    class: 'replay',
    title: 'Exchange a stolen access token as a client that is not its holder\'s delegate',
    rule: 'Only a registered child of the subject token\'s current actor may exchange it (RFC 8693 cannot prove possession of the subject token)',
    refs: ['RFC 8693 §2.1', 'RFC 8693 §2.2.2', 'RFC 8693 §5'],
    owasp: ['ASI03', 'NHI4'],
    grading: 'must',
    expect: INVALID_SUBJECT,
    evidence: { decision: 'deny', area: 'exchange', attribution: 'token', detail: ['subject_actor'] },
    write: false,
    needs: ['tokenExchange'],
  },
  {
    id: 'escalate.exchange-upscope',
    class: 'escalate',
    title: 'Exchange a user assertion for more scope than the user or the agent may hold',
    rule: 'An exchanged token holds no scope beyond the subject\'s and the client\'s; asking for more gets invalid_scope or a narrower token',
    refs: ['RFC 6749 §5.2', 'RFC 8693 §2.2.1', 'RFC 8693 §5', 'TXN §13.6', 'CHAIN §2.5'],
    owasp: ['ASI03', 'NHI5'],
    grading: 'must',
    expect: [{ status: 400, error: 'invalid_scope' }],
    evidence: { decision: 'deny', area: 'exchange', attribution: 'token', detail: ['requested_scope'] },
    write: false,
    judge: 'issued-token',
    needs: ['tokenExchange', 'harnessIdp'],
  },
  // No scope, an empty one, one the client was not registered for: with no usable request the AS
  // falls back on a default, and that default is where registrations and subjects get confused.
  exchangeScope(
    'omitted',
    'Exchange a user assertion without scope, the user holding less than the agent is registered for',
    'With no scope asked for, the AS grants a default (or invalid_scope) within what the client may hold: its registration and the subject\'s scope, never the registration alone',
    ['RFC 6749 §3.3'],
    [{ status: 400, error: 'invalid_scope' }],
    { decision: 'deny', area: 'scope', attribution: 'token', detail: [] },
    ['tokenExchange', 'harnessIdp'],
  ),
  // RFC 6749 §3.3's ABNF has no empty scope and §3.2 says a parameter without a value MUST be
  // treated as omitted: the same ceiling as `omitted`, and invalid_scope or invalid_request pass too.
  exchangeScope(
    'empty',
    'Exchange a user assertion with an empty scope parameter (scope=), the user holding less than the agent is registered for',
    'An empty scope is no scope (RFC 6749 §3.2: treated as omitted): the AS grants a default within what the client may hold, or refuses; it never reads it as "no restriction"',
    ['RFC 6749 §3.2', 'RFC 6749 §3.3'],
    [{ status: 400, error: 'invalid_scope' }, { status: 400, error: 'invalid_request' }],
    { decision: 'deny', area: 'scope', attribution: 'token', detail: [] },
    ['tokenExchange', 'harnessIdp'],
  ),
  exchangeScope(
    'unregistered',
    'A sub-agent exchanges its parent\'s token for the parent\'s whole scope, beyond its own registration',
    'An exchanged token holds no scope the requesting client was not registered for, even where the subject token holds it; asking for more gets invalid_scope or a narrower token',
    ['RFC 7591 §2', 'RFC 6749 §5.2', 'TXN §13.6'],
    [{ status: 400, error: 'invalid_scope' }],
    { decision: 'deny', area: 'exchange', attribution: 'token', detail: ['requested_scope'] },
    ['tokenExchange'],
  ),
  {
    id: 'escalate.exchange-target',
    class: 'escalate',
    title: 'Exchange for an unknown resource, or a sub-agent for another audience than its parent\'s token',
    rule: 'The AS refuses a target it does not know or the client may not have (invalid_target)',
    refs: ['RFC 8693 §2.2.2', 'RFC 8707 §2'],
    owasp: ['ASI03', 'ASI04'],
    grading: 'should',
    expect: [{ status: 400, error: 'invalid_target' }],
    evidence: { decision: 'deny', area: 'exchange', attribution: 'token', detail: ['requested_target'] },
    write: false,
    needs: ['tokenExchange'],
  },
  {
    id: 'escalate.may-act',
    class: 'escalate',
    title: 'Exchange a user assertion whose may_act names another agent',
    rule: 'When the subject names in may_act who may act for it, the AS can refuse every other actor',
    refs: ['RFC 8693 §4.4', 'RFC 8693 §2.2.2'],
    owasp: ['ASI03'],
    grading: 'policy',
    expect: [{ status: 400, error: 'invalid_request' }],
    evidence: { decision: 'deny', area: 'exchange', attribution: 'token', detail: ['may_act'] },
    write: false,
    needs: ['tokenExchange', 'harnessIdp'],
  },
  {
    id: 'unattributed.actor-spoof',
    class: 'unattributed',
    title: 'Name another identity as actor (actor_token) in a token exchange',
    rule: 'The actor is the authenticated client; a request claiming another actor is refused',
    refs: ['RFC 8693 §2.1', 'RFC 8693 §4.1', 'TXN-AGENTS SC 3, 7'],
    owasp: ['ASI03', 'ASI07'],
    grading: 'must',
    expect: [{ status: 400, error: 'invalid_request' }],
    evidence: { decision: 'deny', area: 'exchange', attribution: 'token', detail: ['claimed_actor', 'authenticated_actor'] },
    write: false,
    needs: ['tokenExchange'],
  },
  {
    id: 'unattributed.anon-exchange',
    class: 'unattributed',
    title: 'Token exchange without client authentication',
    rule: 'Exchange without client authentication lets any thief launder a stolen token; whether to allow it is the AS\'s policy',
    refs: ['RFC 8693 §2.1', 'RFC 8693 §5', 'TXN §11.5', 'CHAIN §5.3'],
    owasp: ['NHI4', 'ASI03'],
    grading: 'policy',
    expect: INVALID_CLIENT,
    evidence: { decision: 'deny', area: 'client', attribution: 'anonymous', detail: [] },
    write: false,
    needs: ['tokenExchange'],
  },
  // aud = this AS's issuer identifier or token endpoint URL is lawful (RFC 7523 §3; rfc7523bis
  // recommends the issuer): only an assertion made for another server is the attack.
  clientAssertion(
    'wrong-aud',
    'Client assertion made for another authorization server (aud is its issuer or its token endpoint)',
    'A client assertion authenticates only where its aud names this AS (its issuer identifier, or its token endpoint URL); one whose aud names another server is refused',
    'must',
    ['aud'],
    ['draft-ietf-oauth-rfc7523bis'],
  ),
  // How audience comparisons go wrong: RFC 7523 §3 wants simple string comparison (RFC 3986 §6.2.1)
  // of a value naming this AS, so a prefix or a path match is the breach.
  clientAssertion(
    'aud-issuer-prefix',
    'Client assertion whose aud is another issuer that begins with this AS\'s issuer identifier (a tenant or realm path below it)',
    'The aud is compared with the issuer identifier as a whole string (RFC 3986 §6.2.1), so an issuer that merely begins with it is another server and is refused',
    'must',
    ['aud'],
    ['RFC 3986 §6.2.1', 'draft-ietf-oauth-rfc7523bis-11 §4'],
  ),
  clientAssertion(
    'aud-other-host',
    'Client assertion whose aud is this AS\'s token endpoint path on another host',
    'The aud is compared as a whole URL (RFC 3986 §6.2.1): another host\'s URL with this token endpoint\'s path names another server and is refused',
    'must',
    ['aud'],
    ['RFC 3986 §6.2.1'],
  ),
  // draft-ietf-oauth-rfc7523bis-11 §4 (replacing RFC 7523 §3 item 3 for client authentication): the
  // issuer identifier is the SOLE audience value, and the AS "MUST reject any JWT that does not
  // contain its issuer identifier as its sole audience value". Both variants below break only that
  // draft MUST: RFC 7523 §3 as published accepts a JWT that contains the AS's identity, which an
  // array holding the issuer does, and "a value that identifies the AS", which its other endpoints
  // arguably are. So they are graded should (warn, which the self-test and a board can gate) until
  // the draft is an RFC; widely deployed servers still accept the array (oidc-provider 9.13.3, so
  // the agent-tools example, takes one matching member).
  clientAssertion(
    'aud-array-extra',
    'Client assertion whose aud is an array of this AS\'s issuer identifier and another server\'s',
    'This AS must be the assertion\'s sole audience: an aud that also names another party is refused (that party holds the same assertion and could replay it here; a MUST of draft-ietf-oauth-rfc7523bis-11 §4, not yet of RFC 7523)',
    'should',
    ['aud'],
    ['draft-ietf-oauth-rfc7523bis-11 §4', 'RFC 7519 §4.1.3'],
  ),
  clientAssertion(
    'aud-other-endpoint',
    'Client assertion whose aud is another endpoint of this AS (its revocation or registration endpoint URL)',
    'Only the issuer identifier (and, under RFC 7523, the token endpoint URL) identifies the AS as audience; another endpoint\'s URL should be refused (draft-ietf-oauth-rfc7523bis-11 §4: the issuer identifier is the sole value)',
    'should',
    ['aud'],
    ['draft-ietf-oauth-rfc7523bis-11 §4'],
  ),
  clientAssertion('expired', 'Client assertion that expired ten minutes ago', 'An expired client assertion is refused', 'must', ['assertion_exp']),
  clientAssertion('jti-reuse', 'The same client assertion (same jti) used twice', 'The AS may keep used assertion jtis and refuse a repeat', 'may', []),
  {
    id: 'lifecycle.expired-at',
    class: 'lifecycle',
    title: 'Use an access token past its exp (beyond the leeway)',
    rule: 'A resource server refuses an expired access token, cached or not',
    refs: ['RFC 9068 §4', 'RFC 7519 §4.1.4', 'RFC 6750 §3.1'],
    owasp: ['ASI06', 'NHI7'],
    grading: 'must',
    expect: DEAD_TOKEN,
    evidence: { decision: 'deny', area: 'token', attribution: 'token', detail: ['exp', 'server_time'] },
    write: false,
    needs: ['adminHooks'],
    hooks: ['setTokenTtl'],
  },
  {
    id: 'lifecycle.revoked-at',
    class: 'lifecycle',
    title: 'Use an access token revoked through RFC 7009',
    rule: 'A revoked token stops working at every resource server',
    refs: ['RFC 7009 §2', 'RFC 6750 §3.1', 'RFC 7662 §2.2'],
    owasp: ['ASI10', 'ASI06'],
    grading: 'must',
    expect: DEAD_TOKEN,
    evidence: { decision: 'deny', area: 'token', attribution: 'token', detail: ['revoked_at'] },
    write: false,
    needs: ['revocation'],
  },
  {
    id: 'lifecycle.revoked-at.wrong-hint',
    class: 'lifecycle',
    title: 'Use an access token its client revoked with a wrong token_type_hint (refresh_token)',
    rule: 'A wrong token_type_hint does not stop a revocation: the AS searches every token type it supports, and the token stops working',
    refs: ['RFC 7009 §2.1', 'RFC 6750 §3.1'],
    owasp: ['ASI10', 'ASI06'],
    grading: 'must',
    expect: DEAD_TOKEN,
    evidence: { decision: 'deny', area: 'token', attribution: 'token', detail: ['revoked_at'] },
    write: false,
    needs: ['revocation'],
  },
  {
    id: 'lifecycle.revoke-invalid-token',
    class: 'lifecycle',
    title: 'Revoke a random string that is no token, authenticated (control: answered 200)',
    rule: 'Success and an invalid token are both answered 200, so a client cannot probe which tokens exist',
    refs: ['RFC 7009 §2.2'],
    owasp: ['ASI10'],
    grading: 'must',
    expect: [{ status: 200, error: null }],
    // a control: graded like legitimate traffic (an allow record naming the agent), never a breach
    evidence: { decision: 'deny', area: 'ok', attribution: 'token', detail: [] },
    write: false,
    control: true,
    needs: ['revocation', 'registration'],
  },
  {
    id: 'lifecycle.offboarded-agent.token-request',
    class: 'lifecycle',
    title: 'A deleted agent asks for a token (exchange or client credentials)',
    rule: 'After RFC 7592 deletion the client can no longer authenticate',
    refs: ['RFC 7592 §2.3', 'RFC 6749 §5.2', 'RFC 7523 §3'],
    owasp: ['NHI1', 'ASI10'],
    grading: 'must',
    expect: INVALID_CLIENT,
    evidence: { decision: 'deny', area: 'client', attribution: 'anonymous', detail: ['offboarded_at'] },
    write: false,
    needs: ['clientDeletion'],
  },
  {
    id: 'lifecycle.offboarded-agent.old-token',
    class: 'lifecycle',
    title: 'Use the token of a deleted agent, or of a sub-agent under it',
    rule: 'Tokens issued to, or along, an offboarded client stop working within the stated propagation bound (reference: at once)',
    refs: ['RFC 7592 §2.3', 'RFC 6750 §3.1'],
    owasp: ['NHI1', 'ASI10'],
    grading: 'must',
    expect: DEAD_TOKEN,
    evidence: { decision: 'deny', area: 'client', attribution: 'token', detail: ['offboarded_at'] },
    write: false,
    needs: ['clientDeletion'],
  },
  {
    id: 'lifecycle.retired-key',
    class: 'lifecycle',
    title: 'Use an access token signed with a key retired from the AS JWKS',
    rule: 'A token whose signing key is no longer the issuer\'s is refused, even where it was verified and cached before',
    refs: ['RFC 8725 §3.8', 'RFC 9068 §4'],
    owasp: ['ASI06', 'NHI7'],
    grading: 'must',
    expect: DEAD_TOKEN,
    evidence: { decision: 'deny', area: 'token', attribution: 'token', detail: ['kid'] },
    write: false,
    needs: ['adminHooks'],
    hooks: ['rotateSigningKey', 'retireSigningKey'],
  },
  {
    id: 'lifecycle.reexchange-widen',
    class: 'lifecycle',
    title: 'Present a narrowed token as subject to win back the scope removed from it',
    rule: 'A token exchanged from an access token holds no scope its subject lacks',
    refs: ['TXN §13.6', 'TXN §13.15', 'CHAIN §2.5', 'RFC 8693 §2.2.1', 'RFC 6749 §5.2'],
    owasp: ['ASI03', 'NHI5'],
    grading: 'must',
    expect: [{ status: 400, error: 'invalid_scope' }],
    evidence: { decision: 'deny', area: 'exchange', attribution: 'token', detail: ['requested_scope'] },
    write: false,
    judge: 'issued-token',
    needs: ['tokenExchange', 'registration'],
  },
  // RFC 7592 §2.1, §2.3 (RFC 6750 §3.1 errors): 401 invalid_token for a token that is not the
  // client's, 403 where a valid one lacks permission, a bare 401 challenge where none was sent.
  {
    id: 'escalate.registration.other-client',
    class: 'escalate',
    title: 'One agent reads or deletes another agent\'s registration (registration_client_uri) with its own registration access token, or with none',
    rule: 'The client configuration endpoint serves only the holder of that client\'s registration access token; a refused deletion leaves the client able to authenticate',
    refs: ['RFC 7592 §2.1', 'RFC 7592 §2.3', 'RFC 6750 §3.1'],
    owasp: ['NHI1', 'ASI03'],
    grading: 'must',
    expect: [
      { status: 401, error: 'invalid_token' },
      { status: 401, error: null },
      { status: 403, error: 'insufficient_scope' },
      { status: 403, error: null },
    ],
    evidence: { decision: 'deny', area: 'client', attribution: 'anonymous', detail: [] },
    write: true,
    needs: ['registration', 'clientDeletion'],
  },
  {
    id: 'lifecycle.offboarded-agent.registration-read',
    class: 'lifecycle',
    title: 'Read a deleted agent\'s registration with its old registration access token',
    rule: 'A request about a client that no longer exists is 401; its registration access token dies with it',
    refs: ['RFC 7592 §2.1', 'RFC 7592 §2.3', 'RFC 6750 §3.1'],
    owasp: ['NHI1', 'ASI10'],
    grading: 'must',
    expect: [{ status: 401, error: 'invalid_token' }],
    evidence: { decision: 'deny', area: 'client', attribution: 'anonymous', detail: ['offboarded_at'] },
    write: false,
    needs: ['registration', 'clientDeletion'],
  },
  // target contract R-GC-reg-2: the initial access token is an RFC 6750 bearer token (RFC 7591 §3)
  {
    id: 'unattributed.registration.no-initial-token',
    class: 'unattributed',
    title: 'Register an agent without the initial access token, or with a made-up one',
    rule: 'Where the registration policy needs an initial access token, a registration without a valid one registers nothing',
    refs: ['RFC 7591 §3', 'RFC 6750 §3.1'],
    owasp: ['NHI1', 'ASI03'],
    grading: 'must',
    expect: [
      { status: 401, error: 'invalid_token' },
      { status: 401, error: null },
      { status: 403, error: 'insufficient_scope' },
      { status: 403, error: null },
    ],
    evidence: { decision: 'deny', area: 'client', attribution: 'anonymous', detail: [] },
    write: false,
    needs: ['registration'],
  },
  {
    id: 'escalate.unregistered-grant',
    class: 'escalate',
    title: 'An agent registered for token exchange only asks for a token by client credentials',
    rule: 'A client uses only the grant types it registered; any other is unauthorized_client',
    refs: ['RFC 7591 §2', 'RFC 6749 §5.2', 'RFC 6749 §4.4'],
    owasp: ['ASI03', 'NHI5'],
    grading: 'must',
    expect: [{ status: 400, error: 'unauthorized_client' }],
    evidence: { decision: 'deny', area: 'client', attribution: 'token', detail: [] },
    write: false,
    needs: ['registration', 'clientCredentials'],
  },
  // target contract R-GC-reg-1; RFC 7591 §2 lets the AS refuse (§3.2.2) or replace requested
  // metadata, so both are judged by what the new client then gets (judge side-effect)
  beyondPolicy('unheld-scope', 'Register asking for a scope no agent holds (admin:all) besides the registrant\'s own', 'Registration grants no scope beyond what the AS\'s policy gives the registrant: refused, or the new client\'s tokens never hold it'),
  beyondPolicy('foreign-parent', 'Register as a sub-agent of another tenant\'s agent (parent_client_id)', 'Registration grants no parent link beyond the registrant\'s tenant: refused, or the new client cannot act under that agent', ['RFC 8693 §2.1']),
  // RFC 7009 §2.1: refused as RFC 6749 §5.2 errors; judged by whether the victim's token still works
  {
    id: 'escalate.revoke.other-client',
    class: 'escalate',
    title: 'One agent revokes another agent\'s access token (RFC 7009), authenticated as itself or not at all',
    rule: 'The AS revokes only a token issued to the authenticated client; another client\'s token keeps working',
    refs: ['RFC 7009 §2.1', 'RFC 7009 §2.2.1', 'RFC 7009 §5', 'RFC 6749 §5.2'],
    owasp: ['ASI03', 'ASI10'],
    grading: 'must',
    expect: [
      { status: 400, error: 'unauthorized_client' },
      { status: 400, error: 'invalid_request' },
      ...INVALID_CLIENT,
    ],
    evidence: { decision: 'deny', area: 'client', attribution: 'token', detail: [] },
    write: true,
    judge: 'side-effect',
    needs: ['revocation', 'registration'],
  },
  {
    id: 'lifecycle.expired-subject',
    class: 'lifecycle',
    title: 'Exchange a user assertion that has expired',
    rule: 'The AS validates the subject token and refuses an expired one',
    refs: ['RFC 8693 §2.1', 'RFC 8693 §2.2.2', 'TXN §6'],
    owasp: ['ASI06'],
    grading: 'must',
    expect: INVALID_SUBJECT,
    evidence: { decision: 'deny', area: 'exchange', attribution: 'token', detail: ['subject_exp'] },
    write: false,
    needs: ['tokenExchange', 'harnessIdp'],
  },
  // Client assertions that prove the wrong thing (harness/attacks/as/client-assertion-forged.ts).
  // Who signed: the client's registered key and algorithm only (RFC 7523 §3 (9); RFC 8725 §3.1).
  clientAssertion('unregistered-key', 'Client assertion signed by a fresh key the client never registered', 'A client assertion authenticates only under the signature of a key registered for its client', 'must', ['alg']),
  clientAssertion('alg-none', 'Client assertion with alg none and an empty signature', 'An unsigned client assertion is refused: the AS verifies with the client\'s registered algorithm only', 'must', ['alg'], ['RFC 8725 §3.1']),
  clientAssertion(
    'hs256-public-key',
    'Client assertion MACed with HS256 keyed with the client\'s public key (JWK JSON or PEM)',
    'A MAC keyed with the client\'s public key is no signature: the AS verifies with the client\'s registered algorithm only (algorithm confusion)',
    'must',
    ['alg'],
    ['RFC 8725 §3.1', 'RFC 8725 §2.1'],
  ),
  // Whose assertion: iss and sub are the client, and a client_id sent alongside names it too.
  clientAssertion('other-client-key', 'Client assertion naming another agent (iss, sub, client_id) signed with the sender\'s own registered key', 'A client assertion is verified with the key of the client it names, never another registered client\'s', 'must', ['alg']),
  clientAssertion('iss-not-sub', 'Client assertion whose sub names another agent than its iss', 'For client authentication both iss and sub are the client\'s own client_id', 'must', ['claim'], [], INVALID_CLIENT_OR_REQUEST),
  clientAssertion('client-id-mismatch', 'A valid client assertion sent with client_id naming another agent', 'A client_id parameter sent with an assertion must name the assertion\'s client', 'must', ['claimed_client_id'], ['RFC 7521 §4.2'], INVALID_CLIENT_OR_REQUEST),
  // Lifetime: exp is required; nbf and the age of iat are the AS's call (MAY).
  clientAssertion('no-exp', 'Client assertion without exp', 'A client assertion without exp is refused: it would be a standing credential', 'must', ['claim'], ['RFC 7519 §4.1.4']),
  clientAssertion('nbf-future', 'Client assertion whose nbf is ten minutes ahead', 'The AS may refuse a client assertion before its nbf', 'may', ['claim'], ['RFC 7519 §4.1.5']),
  clientAssertion('iat-old', 'Client assertion issued a day ago that expires in a minute', 'The AS may refuse a client assertion whose iat is unreasonably far in the past', 'may', ['lifetime_s'], ['RFC 7519 §4.1.6']),
  // Subject tokens the AS must not trust: signed by another key or not at all, made for another AS, not valid yet.
  subjectToken('unknown-key', 'Exchange a user assertion naming the trusted IdP but signed by a key it never published', 'The AS trusts a subject token only under the signature of a key its trusted issuer publishes', ['subject_token_type', 'alg'], ['RFC 8725 §3.8']),
  subjectToken('alg-none', 'Exchange a user assertion with alg none and an empty signature', 'An unsigned subject token is refused: the AS verifies with the issuer\'s algorithm only', ['subject_token_type', 'alg'], ['RFC 8725 §3.1']),
  subjectToken('other-aud', 'Exchange a genuine user assertion the IdP made for another authorization server', 'A subject token whose aud does not name this AS is refused', ['subject_token_type', 'claim'], ['RFC 7519 §4.1.3'], true),
  subjectToken('nbf-future', 'Exchange a genuine user assertion whose nbf is an hour ahead', 'A subject token is not accepted before its nbf', ['subject_token_type', 'claim'], ['RFC 7519 §4.1.5'], true),
  // JWT kinds (RFC 8725 §3.12): an access token is no client assertion, a client assertion no subject token.
  clientAssertion('access-token', 'The agent\'s own access token (at+jwt, signed by the AS) sent as its client assertion', 'Only a client assertion authenticates a client: a JWT of another kind is refused even where this AS signed it', 'must', ['claimed_client_id'], ['RFC 8725 §3.12'], INVALID_CLIENT_OR_REQUEST),
  subjectToken('client-assertion', 'Exchange the agent\'s own client assertion (with tenant and scope claims) as a user\'s subject token', 'A client assertion is never a subject token: the AS trusts subject tokens from its trusted issuer only', ['subject_token_type'], ['RFC 8725 §3.12']),
  // DPoP at the token endpoint: the proof is checked like anywhere else, and a DPoP-bound client gets no token without one.
  tokenDpop('other-uri', 'Token exchange with a DPoP proof made for a resource server\'s tool URL', 'The token endpoint refuses a proof whose htu is not the token endpoint', ['RFC 9449 §4.3']),
  tokenDpop('other-method', 'Token exchange with a DPoP proof made for GET', 'The token endpoint refuses a proof whose htm is not POST', ['RFC 9449 §4.3']),
  tokenDpop('alg-none', 'Token exchange with an unsigned DPoP proof (alg none)', 'The token endpoint refuses a proof that is not signed with an asymmetric algorithm', ['RFC 9449 §4.3', 'RFC 8725 §3.1']),
  tokenDpop(
    'missing',
    'Token exchange without a DPoP header by a client registered with dpop_bound_access_tokens',
    'A client registered with dpop_bound_access_tokens gets no token without a DPoP proof, never a Bearer token',
    ['RFC 9449 §5.2'],
    [{ status: 400, error: 'invalid_dpop_proof' }, { status: 400, error: 'invalid_request' }],
  ),
  // Parameter pollution (RFC 6749 §3.2): refused while parsing, before any client or token is trusted.
  ...(['subject-token', 'scope'] as const).map((param): AttackCase => ({
    id: `escalate.param-pollution.${param}`,
    class: 'escalate',
    title: `Token exchange sending ${param === 'scope' ? 'scope twice (narrow first, wide last)' : 'subject_token twice (two assertions of the user)'}`,
    rule: 'A token request repeating a parameter is invalid_request: the AS must not pick one of the values a policy check may not have seen',
    refs: ['RFC 6749 §3.2', 'RFC 6749 §5.2'],
    owasp: ['ASI03'],
    grading: 'must',
    expect: [{ status: 400, error: 'invalid_request' }],
    evidence: { decision: 'deny', area: 'policy', attribution: 'anonymous', detail: ['repeated_parameter'] },
    write: false,
    needs: ['tokenExchange'],
  })),  // Client credentials (RFC 6749 §4.4): an agent on its own account, held only by its
  // authentication and its registration (harness/attacks/as/client-credentials.ts).
  {
    id: 'unattributed.client-credentials.no-auth',
    class: 'unattributed',
    title: 'Client-credentials request with only a client_id, without the client assertion',
    rule: 'A confidential client must authenticate to get a token by client credentials: without it, invalid_client',
    refs: ['RFC 6749 §3.2.1', 'RFC 6749 §4.4.2', 'RFC 6749 §5.2'],
    owasp: ['NHI4', 'ASI03'],
    grading: 'must',
    expect: INVALID_CLIENT,
    evidence: { decision: 'deny', area: 'client', attribution: 'anonymous', detail: [] },
    write: false,
    needs: ['clientCredentials'],
  },
  {
    id: 'escalate.client-credentials.upscope',
    class: 'escalate',
    title: 'Client-credentials request for every scope of the resource server and one no agent holds (admin:all)',
    rule: 'A client-credentials token holds no scope beyond the client\'s registration; asking for more gets invalid_scope or a narrower token',
    refs: ['RFC 6749 §3.3', 'RFC 6749 §4.4.2', 'RFC 6749 §5.2'],
    owasp: ['ASI03', 'NHI5'],
    grading: 'must',
    expect: [{ status: 400, error: 'invalid_scope' }],
    evidence: { decision: 'deny', area: 'scope', attribution: 'token', detail: ['requested_scope'] },
    write: false,
    judge: 'issued-token',
    needs: ['clientCredentials'],
  },
]
