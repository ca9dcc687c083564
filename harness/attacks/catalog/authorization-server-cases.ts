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

function clientAssertion(variant: string, title: string, rule: string, grading: 'must' | 'should' | 'may', detail: string[], moreRefs: string[] = []): AttackCase {
  return {
    id: `unattributed.client-assertion.${variant}`,
    class: 'unattributed',
    title,
    rule,
    refs: ['RFC 7523 §3', ...moreRefs, 'RFC 6749 §5.2'],
    owasp: ['NHI4', 'ASI03'],
    grading,
    expect: INVALID_CLIENT,
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
]
