/**
 * Attack cases answered by a resource server (tool calls).
 *
 * Attribution: `token` where the server verified the token and can name its principal and actor
 * chain: the proof, the scope, the tenant or the policy is what fails, or the token is genuine but not
 * for this server (another audience). `anonymous` where the token itself is not trustworthy (forged,
 * tampered, another kind of JWT, another issuer) or there is none: the server can then trust no
 * claim, and a record naming the claimed principal would let an attacker write audit lines in a
 * victim's name.
 */
import type { AttackCase, ExpectedResponse } from '../../contracts/attack-case.ts'

const BAD_PROOF: ExpectedResponse = { status: 401, error: 'invalid_dpop_proof', scheme: 'DPoP' }
const INVALID_TOKEN: ExpectedResponse = { status: 401, error: 'invalid_token', scheme: 'DPoP' }
const ACCEPTED: ExpectedResponse = { status: 200, error: null }

/** RFC 9449 §4.3 check numbers, for refs */
const check = (n: string): string => `RFC 9449 §4.3 (${n})`

/**
 * escalate.internal-endpoint.<variant>: an endpoint the target itself declares internal
 * (ResourceServerInfo.internalPaths) called through the public origin by an agent with a valid
 * token and proof. Only "not routed" passes (404, with or without a JSON `not_found`): the
 * declaration says the path is not for agents, so a public router that answers 401 or 403 knows the
 * path and holds it by a credential check alone (a shared secret, a loopback test that an L4 front
 * defeats), which grades as a warn, not a pass. The refusal is recorded as the deployment's routing
 * policy (`policy`), attributed to the agent: who probes for management functions is the finding.
 */
function internalEndpoint(variant: string, internalPath: 'admin' | 'peer', title: string, rule: string): AttackCase {
  return {
    id: `escalate.internal-endpoint.${variant}`,
    class: 'escalate',
    title: `An agent calls ${title} through the public origin, with its own valid token and proof`,
    rule,
    refs: ['OWASP API5:2023', 'OWASP API9:2023', 'RFC 6750 §3.1'],
    owasp: ['ASI03', 'NHI5'],
    grading: 'must',
    expect: [
      { status: 404, error: 'not_found' },
      { status: 404, error: null },
    ],
    evidence: { decision: 'deny', area: 'policy', attribution: 'token', detail: [] },
    write: false,
    internalPath,
  }
}

/** replay.dpop-malformed.<variant>: one defect in an otherwise valid proof. */
function malformed(variant: string, title: string, refs: string[], detail: string[] = ['check']): AttackCase {
  return {
    id: `replay.dpop-malformed.${variant}`,
    class: 'replay',
    title: `DPoP proof with ${title}`,
    rule: 'The resource server refuses a request unless its one DPoP proof passes every §4.3 check',
    refs: [...refs, 'RFC 9449 §7.1'],
    owasp: ['ASI07'],
    grading: 'must',
    expect: [BAD_PROOF],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail },
    write: false,
  }
}

/**
 * escalate.limit.<variant>: a tool's numeric limit (e.g. the refund ceiling) tried with one value,
 * by an agent entitled to the tool itself. Over the limit: refused as over it (403 limit_exceeded, or
 * 400 invalid_request), recorded as a limit denial naming the limit; a value that is no amount at all
 * (negative) is an invalid request.
 */
function limit(variant: string, title: string, over: boolean): AttackCase {
  return {
    id: `escalate.limit.${variant}`,
    class: 'escalate',
    title: `A tool's numeric limit: ${title}`,
    rule: over
      ? 'A value over the limit the deployment states is refused, whatever its form (fraction, magnitude), and leaves no side effect'
      : 'A value outside what the field means (a negative amount) is refused and leaves no side effect',
    refs: ['OWASP API6:2023', 'OWASP API8:2023'],
    owasp: ['ASI02'],
    grading: 'must',
    expect: over
      ? [{ status: 403, error: 'limit_exceeded' }, { status: 400, error: 'invalid_request' }]
      : [{ status: 400, error: 'invalid_request' }, { status: 403, error: 'limit_exceeded' }],
    evidence: { decision: 'deny', area: over ? 'limit' : 'policy', attribution: 'token', detail: over ? ['max', 'requested'] : [] },
    write: true,
  }
}

/**
 * replay.dpop-htu-origin.<variant>: a proof for this path at another origin (scheme, host, port),
 * or with the request's Host / X-Forwarded-Host claiming that origin. Refused like any htu mismatch.
 */
function htuOrigin(variant: string, title: string, refs: string[] = []): AttackCase {
  return {
    id: `replay.dpop-htu-origin.${variant}`,
    class: 'replay',
    title: `Use a DPoP proof made for this path at ${title}`,
    rule: 'The proof\'s htu must match the request URI, scheme, host and port included, as the server knows its own public origin (not as the request\'s headers claim it)',
    refs: [check('9'), 'RFC 9110 §4.2.3', 'RFC 9449 §7.1', ...refs],
    owasp: ['ASI07'],
    grading: 'must',
    expect: [BAD_PROOF],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['claimed_htu'] },
    write: false,
  }
}

/**
 * replay.dpop-jti-reuse.<variant>: the same proof again, later. Graded like replay.dpop-jti-reuse
 * (§11.1 makes jti tracking a SHOULD), but a server that tracks jtis must do it for the whole window.
 */
function replayLater(variant: string, title: string): AttackCase {
  return {
    id: `replay.dpop-jti-reuse.${variant}`,
    class: 'replay',
    title: `Resend a request with the same DPoP proof ${title}`,
    rule: 'A server that refuses a repeated jti remembers it for as long as it accepts the proof (the iat window), not only for a moment',
    refs: ['RFC 9449 §11.1', check('11')],
    owasp: ['ASI07'],
    grading: 'should',
    expect: [BAD_PROOF],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['proof_jti_hash'] },
    write: false,
  }
}

/** escalate.forged-jwt.<variant>: an attacker-made token with elevated claims (scope incl. refunds:write). */
function forged(variant: string, title: string, refs: string[], detail: string[]): AttackCase {
  return {
    id: `escalate.forged-jwt.${variant}`,
    class: 'escalate',
    title: `Forged access token with elevated claims: ${title} (attributed to nobody: no claim can be trusted)`,
    rule: 'An access token is accepted only with a valid ES256 signature by the AS keys; anything else is invalid_token',
    refs: [...refs, 'RFC 9068 §4'],
    owasp: ['ASI03', 'NHI5'],
    grading: 'must',
    expect: [INVALID_TOKEN],
    evidence: { decision: 'deny', area: 'token', attribution: 'anonymous', detail },
    write: true,
  }
}

/** replay.dpop-htu-normalise.<variant>: a control the target must accept. */
function normalise(variant: string, title: string, refs: string[]): AttackCase {
  return {
    id: `replay.dpop-htu-normalise.${variant}`,
    class: 'replay',
    title: `Control: ${title} (a correct server accepts it)`,
    rule: 'htu is compared with the request URI without query and fragment, after RFC 3986 normalisation (SHOULD)',
    refs: [check('9'), ...refs],
    owasp: ['ASI07'],
    grading: 'should',
    expect: [ACCEPTED],
    // control: a correct target answers 2xx and writes an allow record (area `ok`)
    evidence: { decision: 'deny', area: 'ok', attribution: 'token', detail: [] },
    write: false,
    control: true,
  }
}

export const RESOURCE_SERVER_CASES: readonly AttackCase[] = [
  // ── Token replay ────────────────────────────────────────────────────────────────────────────
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
    id: 'replay.dpop-jti-reuse.parallel',
    class: 'replay',
    title: 'Send 4 copies of a request with one never-used DPoP proof at the same instant (across replicas where there are several)',
    rule: 'Of N simultaneous uses of one proof at most one is accepted; the replay store must hold across replicas',
    refs: ['RFC 9449 §11.1', 'RFC 9449 §4.3 (11)'],
    owasp: ['ASI07', 'ASI08'],
    grading: 'should',
    expect: [BAD_PROOF],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['proof_jti_hash'] },
    write: false,
    concurrency: true,
  },
  replayLater('after-1s', 'one second after the original was served'),
  replayLater('window-end', 'a few seconds later, its iat set so the copy arrives just inside the end of the acceptance window the target declares (the iat check still passes it)'),
  {
    id: 'replay.dpop-htu-htm.other-uri',
    class: 'replay',
    title: 'Use a DPoP proof made for another tool\'s URI',
    rule: 'The proof\'s htu must match the request URI (without query and fragment)',
    refs: [check('9'), 'RFC 9449 §7.1'],
    owasp: ['ASI07'],
    grading: 'must',
    expect: [BAD_PROOF],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['claimed_htu'] },
    write: false,
  },
  {
    id: 'replay.dpop-htu-htm.other-method',
    class: 'replay',
    title: 'Use a DPoP proof made for the other HTTP method (POST for a GET, GET for a POST)',
    rule: 'The proof\'s htm must match the request method',
    refs: [check('8'), 'RFC 9449 §7.1'],
    owasp: ['ASI07'],
    grading: 'must',
    expect: [BAD_PROOF],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['claimed_htm'] },
    write: false,
  },
  htuOrigin('other-host', 'another host name (127.0.0.1 for localhost and back; elsewhere a made-up .invalid name)'),
  htuOrigin('other-port', 'another port'),
  htuOrigin('other-scheme', 'the other scheme (http for https and back, same host and port)'),
  htuOrigin('other-resource', 'another resource server of the target (a proof a malicious tool server received)', ['RFC 9449 §11.1']),
  htuOrigin('spoofed-host', 'another host, the request\'s Host header set to that host', ['RFC 9110 §7.2']),
  htuOrigin('spoofed-forwarded-host', 'another host, the request\'s X-Forwarded-Host header set to that host', ['RFC 7239 §5.3']),
  normalise('query', 'the request URI has a query, the proof\'s htu leaves it out', ['RFC 9449 §4.2']),
  normalise('host-case', 'htu with the host in upper case (an IP-literal origin: the scheme)', ['RFC 3986 §6.2.2.1']),
  normalise('default-port', 'htu with the default port written out (an origin with its own port: the scheme in upper case)', ['RFC 3986 §6.2.3', 'RFC 3986 §6.2.2.1']),
  {
    id: 'replay.dpop-iat-window.future-10s',
    class: 'replay',
    title: 'Control: a DPoP proof whose iat is 10 s in the future (a correct server accepts it)',
    rule: 'A server may accept a slightly future iat to allow for clock skew (MAY; rejecting it is a warn)',
    refs: [check('11'), 'RFC 9449 §11.1'],
    owasp: ['ASI07'],
    grading: 'should',
    expect: [ACCEPTED],
    // control: a correct target answers 2xx and writes an allow record (area `ok`)
    evidence: { decision: 'deny', area: 'ok', attribution: 'token', detail: [] },
    write: false,
    control: true,
  },
  {
    id: 'replay.dpop-iat-window.past-1h',
    class: 'replay',
    title: 'DPoP proof whose iat is an hour old (no nonce)',
    rule: 'A proof is accepted only within a short window around its creation time',
    refs: [check('11'), 'RFC 9449 §11.1'],
    owasp: ['ASI07'],
    grading: 'must',
    expect: [BAD_PROOF],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['iat_skew_s', 'server_time'] },
    write: false,
  },
  {
    id: 'replay.dpop-iat-window.future-1h',
    class: 'replay',
    title: 'DPoP proof whose iat is an hour in the future (pre-made proofs)',
    rule: 'A proof is accepted only within a short window around its creation time',
    refs: [check('11'), 'RFC 9449 §11.1'],
    owasp: ['ASI07'],
    grading: 'must',
    expect: [BAD_PROOF],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['iat_skew_s', 'server_time'] },
    write: false,
  },
  malformed('two-headers', 'two DPoP headers (two valid proofs)', [check('1')], []),
  malformed('not-jwt', 'a value that is not a JWT', [check('2')]),
  malformed('missing-jti', 'no jti claim', [check('3'), 'RFC 9449 §4.2']),
  malformed('missing-ath', 'no ath claim although an access token is presented', [check('3'), 'RFC 9449 §4.2']),
  malformed('wrong-typ', 'typ JWT instead of dpop+jwt', [check('4'), 'RFC 9449 §11.5']),
  malformed('alg-none', 'alg none and no signature', [check('5'), 'RFC 9449 §11.6']),
  malformed('alg-hs256', 'alg HS256 (a MAC keyed with the public jwk)', [check('5'), 'RFC 9449 §11.6']),
  malformed('bad-signature', 'a signature over another payload', [check('6')]),
  malformed('private-jwk', 'the private key (d) in its jwk header', [check('7'), 'RFC 9449 §4.2']),
  {
    id: 'replay.dpop-no-proof',
    class: 'replay',
    title: 'Present a stolen DPoP-bound token with the DPoP scheme and no proof',
    rule: 'A DPoP-bound token is accepted only with a valid proof by the bound key',
    refs: ['RFC 9449 §7.1', check('12')],
    owasp: ['ASI07', 'ASI03'],
    grading: 'must',
    expect: [BAD_PROOF, INVALID_TOKEN],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: [] },
    write: false,
  },
  {
    id: 'replay.bearer-downgrade',
    class: 'replay',
    title: 'Present a stolen DPoP-bound token as a Bearer token',
    rule: 'A resource server supporting both schemes MUST reject a DPoP-bound token sent as Bearer, with the error on the Bearer challenge',
    refs: ['RFC 9449 §7.2', 'RFC 9449 §7.2 Fig. 18'],
    owasp: ['ASI07', 'ASI03'],
    grading: 'must',
    expect: [{ status: 401, error: 'invalid_token', scheme: 'Bearer' }],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['presented_scheme', 'cnf_type'] },
    write: false,
  },
  {
    id: 'replay.dual-scheme',
    class: 'replay',
    title: 'Present one token under both schemes at once (two Authorization headers, Bearer and DPoP, with a valid proof)',
    rule: 'A request using more than one authentication method is malformed: 400 invalid_request (Fig. 19 is an example under a RECOMMENDED rule)',
    refs: ['RFC 9449 §7.2 Fig. 19', 'RFC 6750 §3.1'],
    owasp: ['ASI07'],
    grading: 'should',
    expect: [{ status: 400, error: 'invalid_request' }],
    // the reference refuses it as dpop.dual_scheme and attributes it to the token when it verifies
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['presented_schemes'] },
    write: false,
  },
  {
    id: 'replay.foreign-key',
    class: 'replay',
    title: 'Present a stolen token with a proof signed by the attacker\'s key (ath correct)',
    rule: 'The proof key must be the key the token is bound to (cnf.jkt); a mismatch is invalid_token',
    refs: [check('12'), 'RFC 9449 §6.1', 'RFC 9449 §7.1 Fig. 16'],
    owasp: ['ASI03', 'ASI07'],
    grading: 'must',
    expect: [INVALID_TOKEN],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['expected_jkt', 'proof_jkt'] },
    write: false,
  },
  {
    id: 'replay.ath-swap',
    class: 'replay',
    title: 'Present a token with a proof by its own key whose ath is another token\'s hash',
    rule: 'The proof\'s ath must be the hash of the presented access token',
    refs: [check('12'), 'RFC 9449 §7'],
    owasp: ['ASI07'],
    grading: 'must',
    expect: [BAD_PROOF],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['claimed_ath'] },
    write: false,
  },
  {
    id: 'replay.cross-audience',
    class: 'replay',
    title: 'Replay a token issued for one resource server at another (a malicious tool server)',
    rule: 'A resource server accepts only tokens whose aud names it; anything else is invalid_token',
    refs: ['RFC 9068 §4', 'RFC 8707 §2', 'RFC 8725 §3.9'],
    owasp: ['ASI04', 'NHI3'],
    grading: 'must',
    expect: [INVALID_TOKEN],
    // the token is genuine (signature verified), so the refusal still names its principal and chain
    evidence: { decision: 'deny', area: 'token', attribution: 'token', detail: ['aud'] },
    write: false,
  },

  // ── Scope escalation ────────────────────────────────────────────────────────────────────────
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
    id: 'escalate.nested-act',
    class: 'escalate',
    title: 'A sub-agent narrowed below its parent calls the write tool only its parent (a nested actor) may use',
    rule: 'Access control uses the token\'s top-level claims and the current actor only; nested actors are informational, and the record carries the full chain',
    refs: ['RFC 8693 §4.1', 'RFC 6750 §3.1'],
    owasp: ['ASI03', 'NHI5'],
    grading: 'must',
    expect: [{ status: 403, error: 'insufficient_scope', scheme: 'DPoP' }],
    evidence: { decision: 'deny', area: 'scope', attribution: 'token', detail: [] },
    write: true,
  },
  {
    id: 'escalate.cross-tenant',
    class: 'escalate',
    title: 'An agent of tenant A calls every read tool it holds on resources under tenant B\'s path with its own valid token',
    rule: 'A token acts only within its tenant; another tenant\'s object is refused (403) or not acknowledged (404)',
    refs: ['OWASP API1:2023', 'RFC 6750 §3.1'],
    owasp: ['ASI03'],
    grading: 'must',
    // the reference answers 404 with a JSON `error: not_found`; a bare 404 or 403 is as good
    expect: [
      { status: 404, error: null },
      { status: 404, error: 'not_found' },
      { status: 403, error: null },
    ],
    evidence: { decision: 'deny', area: 'tenant', attribution: 'token', detail: ['token_tenant'] },
    write: false,
  },
  {
    id: 'escalate.cross-tenant.write',
    class: 'escalate',
    title: 'An agent of tenant A calls every write tool it holds under tenant B\'s path with its own valid token (e.g. a refund in B\'s name)',
    rule: 'A token acts only within its tenant, on the write path too; the refusal leaves no side effect in B\'s data',
    refs: ['OWASP API1:2023', 'RFC 6750 §3.1'],
    owasp: ['ASI03', 'ASI02'],
    grading: 'must',
    expect: [
      { status: 404, error: null },
      { status: 404, error: 'not_found' },
      { status: 403, error: null },
    ],
    evidence: { decision: 'deny', area: 'tenant', attribution: 'token', detail: ['token_tenant'] },
    write: true,
  },
  internalEndpoint(
    'admin-read',
    'admin',
    'a management endpoint the target declares (e.g. its side-effect ledger read)',
    'Management functions are not reachable through the public origin: it does not route them, whoever calls',
  ),
  internalEndpoint(
    'peer-push',
    'peer',
    'an endpoint the deployment\'s own components call (e.g. the lifecycle push from the authorization server)',
    'Endpoints for the deployment\'s own components are not reachable through the public origin: a shared secret is not the only thing keeping an agent out',
  ),
  limit('just-over', 'one unit over it', true),
  limit('fraction-over', 'half a unit over it (a check that truncates to an integer lets it through)', true),
  limit('far-over', 'a thousand times it', true),
  limit('huge', '1e300 (a check in 32-bit integers wraps it to 0)', true),
  limit('negative', 'a negative value (a refund that charges)', false),
  {
    id: 'escalate.limit.at-max',
    class: 'escalate',
    title: "Control: a tool's numeric limit, exactly at it (a correct server serves it)",
    rule: 'The limit is inclusive: a value equal to it is served (an exclusive check refuses legitimate work)',
    refs: ['OWASP API6:2023'],
    owasp: ['ASI02'],
    grading: 'must',
    expect: [ACCEPTED],
    evidence: { decision: 'deny', area: 'ok', attribution: 'token', detail: [] },
    write: false,
    control: true,
  },
  forged('alg-none', 'alg none, no signature', ['RFC 8725 §3.1', 'RFC 8725 §2.1'], ['alg']),
  forged('null-sig', 'the AS\'s kid and alg with an empty signature', ['RFC 8725 §3.3', 'RFC 8725 §2.1'], ['kid']),
  forged('blank-hmac', 'HS256 with an empty secret', ['RFC 8725 §3.1', 'RFC 8725 §3.5'], ['alg']),
  forged('psychic-sig', 'ES256 with r = s = 0 (CVE-2022-21449)', ['RFC 8725 §3.3', 'RFC 8725 §2.1'], ['kid']),
  forged('key-confusion', 'HS256 keyed with the AS\'s public key (algorithm confusion)', ['RFC 8725 §3.1', 'RFC 8725 §2.1'], ['alg']),
  forged('inline-jwk', 'signed by the attacker, its key inlined as the jwk header', ['RFC 8725 §3.10', 'RFC 8725 §3.8'], ['header']),
  forged('jku', 'signed by the attacker, jku pointing at an attacker JWKS (must not be fetched)', ['RFC 8725 §3.10', 'RFC 8725 §2.9'], ['blocked_url']),
  forged('kid-traversal', 'kid ../../../../dev/null with an empty HS256 key', ['RFC 8725 §3.10', 'RFC 8725 §3.1'], ['alg', 'kid']),
  forged('unknown-kid', 'signed by the attacker under a well-formed kid the AS never published (a JWKS outage must not let it through)', ['RFC 8725 §3.3', 'RFC 8725 §2.1'], ['kid']),
  {
    id: 'escalate.claim-tamper',
    class: 'escalate',
    title: 'Widen the scope of a real token without re-signing it (attributed to nobody: no claim can be trusted)',
    rule: 'A token whose signature does not verify is invalid_token; none of its claims is used',
    refs: ['RFC 8725 §3.3', 'RFC 9068 §4'],
    owasp: ['ASI03', 'NHI5'],
    grading: 'must',
    expect: [{ status: 401, error: 'invalid_token' }],
    evidence: { decision: 'deny', area: 'token', attribution: 'anonymous', detail: [] },
    write: true,
  },
  {
    id: 'escalate.typ-confusion.dpop-proof',
    class: 'escalate',
    title: 'Present a DPoP proof as the access token (attributed to nobody)',
    rule: 'Only typ at+jwt tokens are access tokens; other JWT kinds are invalid_token',
    refs: ['RFC 9068 §4', 'RFC 8725 §3.11', 'RFC 8725 §3.12'],
    owasp: ['ASI03'],
    grading: 'must',
    expect: [{ status: 401, error: 'invalid_token' }],
    evidence: { decision: 'deny', area: 'token', attribution: 'anonymous', detail: ['received_typ'] },
    write: true,
  },
  {
    id: 'escalate.typ-confusion.user-assertion',
    class: 'escalate',
    title: 'Present the principal\'s IdP assertion (the exchange\'s subject token, with the user\'s full entitlements) as the access token (attributed to nobody)',
    rule: 'Only typ at+jwt tokens of the AS are access tokens; other JWT kinds are invalid_token',
    refs: ['RFC 9068 §4', 'RFC 8725 §3.11', 'RFC 8725 §3.12'],
    owasp: ['ASI03', 'NHI10'],
    grading: 'must',
    expect: [{ status: 401, error: 'invalid_token' }],
    evidence: { decision: 'deny', area: 'token', attribution: 'anonymous', detail: ['received_typ'] },
    write: true,
  },
  {
    id: 'escalate.foreign-issuer',
    class: 'escalate',
    title: 'Present a well-signed token from another (staging) issuer, its own kid (attributed to nobody)',
    rule: 'The issuer must be exactly the trusted AS and the key one of its keys; anything else is invalid_token',
    refs: ['RFC 9068 §4', 'RFC 8725 §3.8'],
    owasp: ['NHI8', 'NHI6'],
    grading: 'must',
    expect: [{ status: 401, error: 'invalid_token' }],
    evidence: { decision: 'deny', area: 'token', attribution: 'anonymous', detail: ['iss'] },
    write: true,
  },
  {
    id: 'escalate.subagent-passthrough',
    class: 'escalate',
    title: 'A sub-agent calls with its parent\'s token instead of its own, signing the proof with its own key',
    rule: 'A token works only with a proof by the key it is bound to; a delegate must use its own, exchanged token',
    refs: [check('12'), 'RFC 9700 §2.3', 'RFC 8707 §2'],
    owasp: ['ASI03', 'NHI5'],
    grading: 'must',
    expect: [INVALID_TOKEN],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['expected_jkt', 'proof_jkt'] },
    write: true,
  },

  // ── Unattributed calls ──────────────────────────────────────────────────────────────────────
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
  {
    id: 'unattributed.agent-as-user',
    class: 'unattributed',
    title: 'An agent calls a user-data tool with its own client-credentials token (no act) instead of a delegated one',
    rule: 'Policy: tool calls on users\' data require delegation (a user sub and an act chain); the record names the agent',
    refs: ['RFC 8693 §1.1', 'RFC 6749 §4.4'],
    owasp: ['ASI03', 'NHI10'],
    grading: 'must',
    expect: [{ status: 403, error: null }, { status: 403, error: 'access_denied' }],
    evidence: { decision: 'deny', area: 'policy', attribution: 'token', detail: [] },
    write: false,
  },
]
