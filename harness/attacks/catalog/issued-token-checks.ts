/**
 * The checks every run makes besides its attacks (harness/oracle/issued-token.ts judges the tokens,
 * issued-ledger.ts the AS's keys, grade-stream.ts the evidence): what every token the run
 * receives must show, whoever asked for it. Listed by `gatecrash catalog`; not selected by
 * `attacks.cases`, because they need no traffic of their own: they run on every run.
 */
import type { TokenCheck } from '../../contracts/attack-case.ts'

export const ISSUED_TOKEN_CHECKS: readonly TokenCheck[] = [
  {
    id: 'issued.jwt-profile',
    class: 'issued',
    title: 'Every issued JWT access token follows the JWT access-token profile',
    rule: 'A JWT access token has typ at+jwt, is signed (never alg none), and holds iss (the AS), exp, aud, sub, client_id, iat and jti',
    refs: ['RFC 9068 §2.1', 'RFC 9068 §2.2', 'RFC 8725 §3.11'],
    owasp: ['NHI7'],
    grading: 'must',
  },
  {
    id: 'issued.no-store',
    class: 'issued',
    title: 'No response that holds a token may be cached',
    rule: 'A token response carries Cache-Control: no-store',
    refs: ['RFC 6749 §5.1'],
    owasp: ['NHI2'],
    grading: 'must',
  },
  {
    id: 'issued.cnf-jkt',
    class: 'issued',
    title: 'Every issued token is bound to the key its client proved (cnf.jkt, token_type DPoP)',
    rule: 'A DPoP-bound access token carries cnf.jkt, the SHA-256 thumbprint of the key the client proved, and token_type DPoP',
    refs: ['RFC 9449 §6.1', 'RFC 9449 §5', 'RFC 7638 §3'],
    owasp: ['NHI7', 'ASI03'],
    grading: 'must',
  },
  {
    id: 'issued.aud',
    class: 'issued',
    title: 'Every issued token is audience-restricted to the resource asked for',
    rule: 'The AS audience-restricts an issued token to the resource(s) indicated, and no others',
    refs: ['RFC 8707 §2', 'RFC 9068 §2.2'],
    owasp: ['ASI03'],
    grading: 'should',
  },
  {
    id: 'issued.act-chain',
    class: 'issued',
    title: 'Every issued token names its principal and the whole actor chain, current actor first',
    rule: 'sub is the principal, act nests every actor of the delegation with the current one first, client_id is the current actor',
    refs: ['RFC 8693 §4.1', 'RFC 9068 §2.2'],
    owasp: ['NHI9', 'ASI03'],
    grading: 'policy',
  },
  {
    id: 'issued.scope',
    class: 'issued',
    title: 'Every issued token narrows at each hop: within the client\'s registration and the subject token\'s scope',
    rule: 'The granted scope lies within the client\'s registered scope and the subject token\'s scope at every hop, also when the request omitted scope',
    refs: ['RFC 8693 §2.1', 'RFC 8693 §2.2.1', 'RFC 6749 §3.3'],
    owasp: ['NHI5', 'ASI03'],
    grading: 'policy',
  },
  {
    id: 'issued.lifetime',
    class: 'issued',
    title: 'Every issued token lives no longer than the policy allows and than expires_in said',
    rule: 'exp − iat is within the policy\'s maximum (default 1 h), and exp is no later than expires_in said (60 s allowance)',
    refs: ['RFC 6749 §5.1', 'RFC 7519 §4.1.4', 'RFC 9068 §2.2'],
    owasp: ['NHI7'],
    grading: 'policy',
  },
  {
    id: 'metadata.jwks-public',
    class: 'metadata',
    title: 'The AS publishes public keys only',
    rule: 'The JWK set at jwks_uri holds no private (d, p, q, dp, dq, qi, oth) or symmetric (k) key members: one of them hands every client the means to sign as the AS',
    refs: ['RFC 8414 §2 (jwks_uri)', 'RFC 7517 §4', 'RFC 7518 §6.2.2, §6.3.2, §6.4'],
    owasp: ['NHI2'],
    grading: 'must',
  },
  {
    id: 'evidence.no-secrets',
    class: 'evidence',
    title: 'No evidence record holds a raw token, proof or credential',
    rule: 'A record refers to tokens by hash and to keys by thumbprint: nothing JWT-shaped, no Authorization value and no OAuth credential parameter in its detail',
    refs: ['evidence schema: No secrets'],
    owasp: ['NHI2'],
    grading: 'must',
  },
]
