/**
 * Flaw switches for the mutation self-test: each one disables exactly one control of the reference
 * target, and names the attack cases that must catch it. To add a flaw, add an entry here and one
 * `hasFlaw(...)` check at the control it disables.
 */
import { FlawUnknown } from '../../harness/contracts/errors.ts'
import type { FlawInfo } from '../../harness/contracts/target.ts'

const DEFINITIONS = {
  'replay-cache-off': {
    control: 'resource server refuses a reused DPoP proof jti (RFC 9449 §11.1)',
    caughtBy: ['replay.dpop-jti-reuse', 'replay.dpop-jti-reuse.parallel'],
  },
  'evidence-drops-denies': {
    control: 'every refusal writes a deny evidence record (AS and resource servers)',
    caughtBy: ['replay.dpop-jti-reuse', 'escalate.tool-scope', 'unattributed.no-credential'],
  },
  // Resource servers, their shared replay store and the evidence pipeline.
  'replay-cache-per-replica': {
    control: 'every replica of a resource server checks proof jtis against one shared replay store (RFC 9449 §11.1)',
    caughtBy: ['replay.dpop-jti-reuse.parallel'],
  },
  // How long the replay store remembers a jti, each the way such a TTL goes wrong in practice.
  'replay-cache-ttl-seconds': {
    control: 'the replay store keeps a proof jti for as long as the proof passes the iat check, twice the ±60 s window, in milliseconds (RFC 9449 §11.1), not 120 ms',
    caughtBy: ['replay.dpop-jti-reuse.after-1s', 'replay.dpop-jti-reuse.window-end'],
  },
  'replay-cache-short-ttl': {
    control: 'the replay store keeps a proof jti until the proof can no longer pass the iat check (RFC 9449 §11.1), not a fixed 3 s sized for a client\'s retries',
    caughtBy: ['replay.dpop-jti-reuse.window-end'],
  },
  'evidence-omits-actors': {
    control: 'resource-server records carry the act chain, current actor first (RFC 8693 §4.1; evidence schema)',
    caughtBy: ['escalate.tool-scope', 'replay.dpop-jti-reuse'],
  },
  'evidence-wrong-principal': {
    control: 'resource-server records name the token\'s sub as the principal, not the client',
    caughtBy: ['escalate.tool-scope', 'replay.dpop-jti-reuse'],
  },
  'evidence-logs-credentials': {
    control: 'records refer to tokens by hash only (evidence schema, No secrets); here every record carries the request\'s Authorization header, the raw token in it',
    caughtBy: ['evidence.no-secrets'],
  },
  'evidence-sampled': {
    control: 'resource servers record every decision, not a sample (NIST SP 800-53 AU-2, AU-12)',
    caughtBy: ['escalate.tool-scope', 'unattributed.no-credential'],
  },
  'evidence-chain-broken': {
    control: 'the evidence sink stores records exactly as verified, so every chain recomputes (NIST SP 800-53 AU-9)',
    caughtBy: ['escalate.tool-scope', 'unattributed.no-credential'],
  },
  // The evidence sink changing records after it acknowledged them (evidence-sink/sink-flaws.ts).
  // The harness graded the records as it read them, so no case's verdict changes: only the
  // evidence-integrity gate, comparing the heads and records it saw over time, catches these
  // (caughtByGate). caughtBy names the cases whose traffic the fast self-test sends.
  'evidence-tail-truncated': {
    control: 'the evidence sink never loses acknowledged records: its chain heads only move forward (NIST SP 800-53 AU-9, AU-10)',
    caughtBy: ['escalate.tool-scope', 'unattributed.no-credential'],
    caughtByGate: 'gatecrash_evidence_integrity',
  },
  'evidence-history-rewritten': {
    control: 'stored evidence is immutable: no record is altered after it was acknowledged, not even with its chain re-sealed (NIST SP 800-53 AU-9)',
    caughtBy: ['escalate.tool-scope', 'unattributed.no-credential'],
    caughtByGate: 'gatecrash_evidence_integrity',
  },
  // The authorization server's exchange records losing their link (docs/evidence-schema.md, "Token
  // exchange links"): every record is still there and right on its own, so no case's verdict
  // changes; only rebuilding transactions from the trail shows it (caughtByGate). caughtBy names
  // the cases whose traffic the fast self-test sends beside its legitimate calls.
  'evidence-exchange-unlinked': {
    control: 'an exchange record names the issued token in correlation.token_hash and the subject token in parent_token_hash, so every call traces back through the exchanges to its principal (NIST SP 800-53 AU-3, AU-10); here it names the subject token where the issued one belongs, and none as the parent',
    caughtBy: ['escalate.tool-scope', 'unattributed.no-credential'],
    caughtByGate: 'gatecrash_reconstruction',
  },
  // No attack case can address the sink's write side (the target contract names only its read API):
  // a spec test of the reference target catches it (caughtBySpec).
  'evidence-sink-unauthenticated': {
    control: 'the evidence sink appends only records its target\'s writers send with their per-target secret; anyone else\'s POST /ingest is refused 401 and stored nowhere (the hash chain is unkeyed)',
    caughtBy: [],
    caughtBySpec: 'test/spec/reference-target/evidence-integrity.test.ts',
  },
  // The refund ceiling (a tool's numeric limit), each the way such a check goes wrong in practice.
  'refund-ceiling-truncated': {
    control: 'the refund ceiling compares the amount as sent, fractions included (500.5 is over 500)',
    caughtBy: ['escalate.limit.fraction-over'],
  },
  'refund-ceiling-int32': {
    control: 'the refund ceiling compares the amount as a number, not a 32-bit integer that wraps 1e300 to 0',
    caughtBy: ['escalate.limit.huge'],
  },
  'refund-ceiling-exclusive': {
    control: 'the refund ceiling is inclusive: a refund of exactly the ceiling is served',
    caughtBy: ['escalate.limit.at-max'],
  },
  'refund-negative-accepted': {
    control: 'a refund amount must be positive: a negative refund (a charge) is an invalid request',
    caughtBy: ['escalate.limit.negative'],
  },
  // Internal and admin endpoints on a replica's public listener (the front's upstream), where the
  // front makes every caller loopback: the refund ledger read is served to any agent, and the
  // lifecycle push is held by nothing but its shared secret (answered 401, with no record).
  'internal-endpoints-public': {
    control: 'a replica serves its admin read and lifecycle push on an internal loopback listener only; the public origin does not route them (OWASP API5:2023)',
    caughtBy: ['escalate.internal-endpoint.admin-read', 'escalate.internal-endpoint.peer-push'],
  },
  'dpop-htu-unchecked': {
    control: 'resource server compares the proof htu with its own public origin and path (RFC 9449 §4.3 (9))',
    caughtBy: ['replay.dpop-htu-htm.other-uri'],
  },
  'dpop-htm-unchecked': {
    control: 'resource server compares the proof htm with the request method (RFC 9449 §4.3 (8))',
    caughtBy: ['replay.dpop-htu-htm.other-method'],
  },
  'dpop-iat-unchecked': {
    control: 'resource server accepts a proof only within ±60 s of its iat (RFC 9449 §4.3 (11), §11.1)',
    caughtBy: ['replay.dpop-iat-window.past-1h', 'replay.dpop-iat-window.future-1h'],
  },
  'dpop-proof-signature-unchecked': {
    control: 'resource server verifies the proof signature with the embedded jwk (RFC 9449 §4.3 (6))',
    caughtBy: ['replay.dpop-malformed.bad-signature'],
  },
  'dpop-alg-unchecked': {
    control: 'resource server accepts only ES256 proofs, never none or a MAC (RFC 9449 §4.3 (5), §11.6)',
    caughtBy: ['replay.dpop-malformed.alg-none', 'replay.dpop-malformed.alg-hs256'],
  },
  'dpop-binding-unchecked': {
    control: 'resource server requires the proof key to be the key the token is bound to, cnf.jkt (RFC 9449 §4.3 (12), §6.1)',
    caughtBy: ['replay.foreign-key', 'escalate.subagent-passthrough'],
  },
  'dpop-ath-unchecked': {
    control: 'resource server requires the proof ath to be the hash of the presented token (RFC 9449 §4.3 (12), §7)',
    caughtBy: ['replay.ath-swap'],
  },
  // The origin in htu (RFC 9449 §4.3 (9)), each the way such a check goes wrong in practice.
  'dpop-htu-from-host-header': {
    control: 'resource server checks htu against its configured public origin, never one built from the request\'s Host or X-Forwarded-Host (RFC 9449 §4.3 (9))',
    caughtBy: ['replay.dpop-htu-origin.spoofed-host', 'replay.dpop-htu-origin.spoofed-forwarded-host'],
  },
  'dpop-htu-path-only': {
    control: 'resource server compares the scheme, host and port of htu, not its path alone (RFC 9449 §4.3 (9))',
    // the spoofed-header cases name another host in the proof too, so they catch it as well
    caughtBy: [
      'replay.dpop-htu-origin.other-host',
      'replay.dpop-htu-origin.other-port',
      'replay.dpop-htu-origin.other-scheme',
      'replay.dpop-htu-origin.other-resource',
      'replay.dpop-htu-origin.spoofed-host',
      'replay.dpop-htu-origin.spoofed-forwarded-host',
    ],
  },
  'bearer-accepted': {
    control: 'resource server refuses a DPoP-bound token presented as Bearer (RFC 9449 §7.2)',
    caughtBy: ['replay.bearer-downgrade'],
  },
  'audience-unchecked': {
    control: 'resource server accepts only tokens whose aud names it (RFC 9068 §4; RFC 8725 §3.9)',
    caughtBy: ['replay.cross-audience'],
  },
  'scope-unchecked': {
    control: 'resource server requires the tool\'s scope in the token (RFC 6750 §3.1)',
    caughtBy: ['escalate.tool-scope', 'escalate.nested-act'],
  },
  'tenant-unchecked': {
    control: 'resource server serves a tenant\'s resources only to tokens of that tenant (OWASP API1)',
    caughtBy: ['escalate.cross-tenant'],
  },
  'cross-tenant-writes-unchecked': {
    control: 'resource server applies the tenant check to writes as well as reads: no refund in another tenant\'s name (OWASP API1)',
    caughtBy: ['escalate.cross-tenant.write'],
  },
  'token-alg-none-accepted': {
    control: 'resource server refuses unsigned (alg none) access tokens (RFC 8725 §3.1–3.2; RFC 9068 §4)',
    caughtBy: ['escalate.forged-jwt.alg-none'],
  },
  'token-signature-unchecked': {
    control: 'resource server verifies the access-token signature with the AS keys (RFC 9068 §4; RFC 8725 §3.3)',
    caughtBy: ['escalate.claim-tamper', 'escalate.forged-jwt.null-sig'],
  },
  'no-credential-allowed': {
    control: 'resource server refuses a tool call without a credential (RFC 6750 §3.1)',
    caughtBy: ['unattributed.no-credential'],
  },
  'delegation-not-required': {
    control: 'resource server serves tools only to delegated tokens (an act chain), never an agent acting as itself (policy)',
    caughtBy: ['unattributed.agent-as-user'],
  },
  'expiry-unchecked': {
    control: 'resource server refuses access tokens past exp (RFC 9068 §4; RFC 7519 §4.1.4)',
    caughtBy: ['lifecycle.expired-at'],
  },
  // What the AS puts into the tokens it issues: only the issued-token checks read that (oracle/issued-token.ts).
  'issued-token-unbound': {
    control: 'every access token is bound to its client\'s key (cnf.jkt, RFC 9449 §6.1); here the AS leaves cnf out and the resource servers, DPoP "optional", take an unbound token with any proof',
    caughtBy: ['issued.cnf-jkt'],
  },
  'issued-act-flattened': {
    control: 'an exchanged token nests the whole actor chain, current actor first (RFC 8693 §4.1); here only the current actor is kept',
    caughtBy: ['issued.act-chain'],
  },
  'issued-scope-from-subject': {
    control: 'an exchanged token\'s scope claim is the narrowed grant (RFC 8693 §2.2.1); here it is copied from the subject token, while the response states the grant',
    caughtBy: ['issued.scope'],
  },
  'issued-token-no-iat': {
    control: 'a JWT access token holds every claim RFC 9068 §2.2 requires; here the AS leaves out iat',
    caughtBy: ['issued.jwt-profile'],
  },
  'token-response-cacheable': {
    control: 'a token response carries Cache-Control: no-store (RFC 6749 §5.1); here it may be cached for five minutes',
    caughtBy: ['issued.no-store'],
  },
  'jwks-private-members': {
    control: 'the AS publishes public keys only (RFC 7517 §4, RFC 7518 §6.2.2); here its JWKS is serialised from the key pairs, each private d included',
    caughtBy: ['metadata.jwks-public'],
  },
  'issued-lifetime-long': {
    control: 'an access token expires when expires_in says, within the lifetime policy; here exp is a day away',
    caughtBy: ['issued.lifetime'],
  },
  // Authorization server: delegation policy, client authentication, lifecycle propagation.
  'exchange-laundering': {
    control: 'only a registered child of the subject token\'s current actor may exchange it (delegation model; RFC 8693 §5)',
    caughtBy: ['replay.exchange-laundering'],
  },
  'exchange-upscope': {
    control: 'a token exchanged from a user assertion holds no scope the assertion lacks (RFC 8693 §5; RFC 6749 §5.2 invalid_scope)',
    caughtBy: ['escalate.exchange-upscope'],
  },
  'reexchange-widen': {
    control: 'a token exchanged from an access token holds no scope its subject lacks (TXN §13.6, §13.15)',
    caughtBy: ['lifecycle.reexchange-widen'],
  },
  'exchange-target-unchecked': {
    control: 'token exchange accepts only a known resource, and a sub-agent only its subject token\'s audience (RFC 8693 §2.2.2; RFC 8707 §2)',
    caughtBy: ['escalate.exchange-target'],
  },
  'may-act-ignored': {
    control: 'a subject carrying may_act may be exchanged only by the actor it names (RFC 8693 §4.4)',
    caughtBy: ['escalate.may-act'],
  },
  'actor-token-trusted': {
    control: 'the actor in act is the authenticated client, never an actor_token or act parameter (RFC 8693 §2.1, §4.1)',
    caughtBy: ['unattributed.actor-spoof'],
  },
  'anon-exchange-allowed': {
    control: 'token exchange requires client authentication (RFC 8693 §2.1, §5)',
    caughtBy: ['unattributed.anon-exchange'],
  },
  // Token exchange scope, each the way the ceiling (registration ∩ subject) goes wrong in practice.
  'exchange-omitted-scope-widens': {
    control: 'an exchange asking for no scope (absent or empty) gets a default within the client\'s registration AND the subject token\'s scope (RFC 6749 §3.3)',
    caughtBy: ['escalate.exchange-scope.omitted', 'escalate.exchange-scope.empty'],
  },
  'exchange-scope-unregistered': {
    control: 'a delegated exchange is held to the requesting client\'s registered scope, not only to the subject token\'s (RFC 8693 §2.2.1)',
    caughtBy: ['escalate.exchange-scope.unregistered'],
  },
  'client-assertion-aud-unchecked': {
    control: 'a client assertion must name this AS (its issuer identifier or token endpoint URL) as its audience (RFC 7523 §3; rfc7523bis)',
    caughtBy: ['unattributed.client-assertion.wrong-aud'],
  },
  // Client assertion audience checks (RFC 7523 §3; draft-ietf-oauth-rfc7523bis-11 §4), each the way
  // such a comparison goes wrong in practice instead of RFC 3986 §6.2.1 simple string comparison.
  'client-assertion-aud-prefix': {
    control: 'a client assertion aud is compared with the issuer identifier as a whole string, not as a prefix (RFC 7523 §3; RFC 3986 §6.2.1)',
    caughtBy: ['unattributed.client-assertion.aud-issuer-prefix', 'unattributed.client-assertion.aud-other-endpoint'],
  },
  'client-assertion-aud-path-only': {
    control: 'a client assertion aud is compared as a whole URL, origin included, not by its path alone (RFC 7523 §3; RFC 3986 §6.2.1)',
    caughtBy: ['unattributed.client-assertion.aud-other-host'],
  },
  'client-assertion-aud-any-member': {
    control: 'a client assertion whose aud array also names another party is refused: this AS must be its sole audience (draft-ietf-oauth-rfc7523bis-11 §4)',
    caughtBy: ['unattributed.client-assertion.aud-array-extra'],
  },
  'client-assertion-exp-unchecked': {
    control: 'an expired client assertion is refused (RFC 7523 §3)',
    caughtBy: ['unattributed.client-assertion.expired'],
  },
  'client-deletion-ignored': {
    control: 'a deleted client can no longer authenticate (RFC 7592 §2.3)',
    caughtBy: ['lifecycle.offboarded-agent.token-request'],
  },
  'offboarding-not-propagated': {
    control: 'client deletion reaches every resource-server replica before it is answered (offboarding at once)',
    caughtBy: ['lifecycle.offboarded-agent.old-token'],
  },
  // The client configuration endpoint (RFC 7592) and revocation (RFC 7009): whose credential acts on whose registration or token.
  'registration-token-any-client': {
    control: 'the client configuration endpoint serves only the holder of that client\'s own registration access token: one agent cannot read or delete another\'s registration (RFC 7592 §2.1, §2.3)',
    caughtBy: ['escalate.registration.other-client'],
  },
  'registration-token-survives-delete': {
    control: 'a deleted client\'s registration access token is dead with it: reading the registration afterwards is 401 (RFC 7592 §2.1, §2.3)',
    caughtBy: ['lifecycle.offboarded-agent.registration-read'],
  },
  'registration-parent-any-tenant': {
    control: 'a sub-agent registers only under a parent of its own tenant (target contract: registration grants no parent link beyond the registrant\'s)',
    caughtBy: ['escalate.registration.foreign-parent'],
  },
  'registration-scope-unchecked': {
    control: 'registration refuses a scope no resource server uses, such as admin:all (target contract; RFC 7591 §2 lets the AS refuse requested metadata)',
    caughtBy: ['escalate.registration.unheld-scope'],
  },
  'registration-open': {
    control: 'registration needs the initial access token: without it, or with a made-up one, nothing is registered (RFC 7591 §3; target contract)',
    caughtBy: ['unattributed.registration.no-initial-token'],
  },
  'grant-type-unchecked': {
    control: 'a client uses only the grant types it registered; any other is unauthorized_client (RFC 7591 §2, RFC 6749 §5.2)',
    caughtBy: ['escalate.unregistered-grant'],
  },
  // Client credentials (RFC 6749 §4.4): an agent on its own account.
  'client-credentials-unauthenticated': {
    control: 'a client-credentials request must authenticate the client: a client_id alone, without its assertion, gets invalid_client (RFC 6749 §3.2.1, §4.4.2)',
    caughtBy: ['unattributed.client-credentials.no-auth'],
  },
  'client-credentials-scope-unchecked': {
    control: 'a client-credentials token holds no scope beyond the client\'s registration ∩ the resource\'s scopes; asking for more is invalid_scope (RFC 6749 §3.3, §5.2)',
    caughtBy: ['escalate.client-credentials.upscope'],
  },
  'token-response-scope-omitted': {
    control: 'a token response states the granted scope whenever it differs from the request, e.g. the default given to a request without scope (RFC 6749 §3.3, §5.1)',
    caughtBy: ['escalate.exchange-scope.omitted', 'escalate.exchange-scope.empty'],
  },
  'revocation-any-client': {
    control: 'the revocation endpoint revokes only tokens issued to the authenticated client (RFC 7009 §2.1)',
    caughtBy: ['escalate.revoke.other-client'],
  },
  'revocation-invalid-token-error': {
    control: 'revoking an invalid token is answered 200 like a success, so a client cannot probe which tokens exist (RFC 7009 §2.2)',
    caughtBy: ['lifecycle.revoke-invalid-token'],
  },
  'revocation-trusts-hint': {
    control: 'a revocation whose token_type_hint is wrong (refresh_token for an access token) still revokes: the AS searches every type (RFC 7009 §2.1)',
    caughtBy: ['lifecycle.revoked-at.wrong-hint'],
  },
  'revocation-not-propagated': {
    control: 'token revocation reaches every resource-server replica before it is answered (RFC 7009 §2)',
    caughtBy: ['lifecycle.revoked-at'],
  },
  'retired-key-accepted': {
    control: 'signing-key retirement reaches every resource-server replica, which then refuse the kid even if cached (RFC 8725 §3.8)',
    caughtBy: ['lifecycle.retired-key'],
  },
  'expired-subject-accepted': {
    control: 'token exchange refuses an expired subject token (RFC 8693 §2.2.2; TXN §6)',
    caughtBy: ['lifecycle.expired-subject'],
  },
  // Client authentication: what a private_key_jwt assertion must prove beyond audience and expiry (RFC 7523 §3, RFC 7521 §4.2).
  'client-assertion-signature-unchecked': {
    control: 'a client assertion is verified with the client\'s registered key and algorithm: a fresh key, alg none or HS256 keyed with the public key is refused (RFC 7523 §3 (9); RFC 8725 §3.1)',
    caughtBy: ['unattributed.client-assertion.unregistered-key', 'unattributed.client-assertion.alg-none', 'unattributed.client-assertion.hs256-public-key'],
  },
  'client-assertion-key-by-kid': {
    control: 'a client assertion is verified with the key of the client its iss names, never another client\'s key that the kid points at (RFC 7523 §3 (1))',
    caughtBy: ['unattributed.client-assertion.other-client-key'],
  },
  'client-assertion-sub-unchecked': {
    control: 'a client assertion\'s sub is the client\'s own client_id, like its iss (RFC 7523 §3 (2))',
    caughtBy: ['unattributed.client-assertion.iss-not-sub'],
  },
  'client-id-param-ignored': {
    control: 'a client_id form parameter sent with an assertion must name the assertion\'s client (RFC 7521 §4.2)',
    caughtBy: ['unattributed.client-assertion.client-id-mismatch'],
  },
  'client-assertion-exp-optional': {
    control: 'a client assertion without exp is refused (RFC 7523 §3 (4))',
    caughtBy: ['unattributed.client-assertion.no-exp'],
  },
  // Subject tokens: the principal's assertion is verified like any JWT the AS relies on (RFC 8693 §2.1; RFC 7519 §4.1.3, §4.1.5).
  'subject-token-signature-unchecked': {
    control: 'a subject token is verified with a key the trusted issuer publishes, in its algorithm: one signed by another key or with alg none is refused (RFC 8693 §2.1; RFC 8725 §3.1)',
    caughtBy: ['escalate.subject-token.unknown-key', 'escalate.subject-token.alg-none'],
  },
  'subject-token-aud-unchecked': {
    control: 'a subject token whose aud does not name this AS is refused (RFC 7519 §4.1.3)',
    caughtBy: ['escalate.subject-token.other-aud'],
  },
  'subject-token-nbf-unchecked': {
    control: 'a subject token is not accepted before its nbf (RFC 7519 §4.1.5)',
    caughtBy: ['escalate.subject-token.nbf-future'],
  },
  // JWT kinds: each kind is accepted only where it belongs (RFC 8725 §3.12).
  'jwt-kind-unchecked': {
    control: 'an access token never authenticates a client, and a client assertion never passes as a subject token: each JWT kind is verified only where it belongs (RFC 8725 §3.12)',
    caughtBy: ['unattributed.client-assertion.access-token', 'escalate.subject-token.client-assertion'],
  },
  // DPoP at the token endpoint (RFC 9449 §5, §5.2).
  'token-dpop-proof-unchecked': {
    control: 'the token endpoint makes every RFC 9449 §4.3 check of the request\'s DPoP proof (htu = the token endpoint, htm = POST, a real signature) before binding the token to its key (RFC 9449 §5)',
    caughtBy: ['replay.token-dpop.other-uri', 'replay.token-dpop.other-method', 'replay.token-dpop.alg-none'],
  },
  'token-dpop-optional': {
    control: 'a client registered with dpop_bound_access_tokens gets no token without a DPoP proof, never a Bearer one (RFC 9449 §5.2)',
    caughtBy: ['replay.token-dpop.missing'],
  },
  // Token request parameters (RFC 6749 §3.2).
  'token-params-last-wins': {
    control: 'a token request repeating a parameter (other than resource) is refused with invalid_request, never served with one of the values (RFC 6749 §3.2)',
    caughtBy: ['escalate.param-pollution.subject-token', 'escalate.param-pollution.scope'],
  },
  // Fail closed under faults (docs/architecture.md "Chaos"). No attack case alone catches these: each needs a
  // fault, so a chaos scenario's steady-state checks catch them (caughtByScenario).
  'jwks-fail-open': {
    control: 'while the AS JWKS cannot be fetched, a token whose kid is not cached is refused (503 system.jwks_unavailable), never served unverified (RFC 8725 §3.3)',
    caughtBy: [],
    caughtByScenario: 'scenarios/chaos-jwks.ts',
  },
  'replay-store-fail-open': {
    control: 'while the shared replay store is unreachable or slow, a DPoP proof is refused (503 system.replay_store_unavailable), never served unchecked (RFC 9449 §11.1)',
    caughtBy: [],
    caughtByScenario: 'scenarios/chaos-replay-store.ts',
  },
  'evidence-drop-when-sink-down': {
    control: 'while the evidence sink is unreachable, records are buffered (bounded, then 503) and delivered later, and lost ones leave a system.evidence_gap record (NIST SP 800-53 AU-5, AU-9)',
    caughtBy: [],
    caughtByScenario: 'scenarios/chaos-evidence-sink.ts',
  },
} satisfies Record<string, Omit<FlawInfo, 'name'>>

export type FlawName = keyof typeof DEFINITIONS

/**
 * The flaw table. Flaws caught by a chaos scenario rather than an attack case have `caughtBy: []`
 * and carry `caughtByScenario` (the scenario whose steady-state checks catch them); flaws only a
 * gate can catch carry `caughtByGate`.
 */
export const FLAWS: FlawInfo[] = Object.entries(DEFINITIONS).map(([name, d]) => ({
  name,
  control: d.control,
  caughtBy: [...d.caughtBy],
  ...('caughtByScenario' in d ? { caughtByScenario: d.caughtByScenario } : {}),
  ...('caughtByGate' in d ? { caughtByGate: d.caughtByGate } : {}),
  ...('caughtBySpec' in d ? { caughtBySpec: d.caughtBySpec } : {}),
}))

/** The chaos scenario that catches a flaw no attack case can, or null. */
export function caughtByScenario(name: string): string | null {
  const d = (DEFINITIONS as Record<string, { caughtByScenario?: string }>)[name]
  return d?.caughtByScenario ?? null
}

/** Validates requested flaw names (duplicates collapse); unknown names are an error. */
export function resolveFlaws(names: readonly string[] = []): FlawName[] {
  const known = Object.keys(DEFINITIONS)
  const unknown = names.filter((n) => !known.includes(n))
  if (unknown.length > 0) {
    throw new FlawUnknown(`unknown flaw ${unknown.map((n) => `"${n}"`).join(', ')} for the reference target`, {
      hint: `known flaws: ${known.join(', ')}`,
    })
  }
  return [...new Set(names)] as FlawName[]
}

export function hasFlaw(flaws: readonly string[], name: FlawName): boolean {
  return flaws.includes(name)
}
