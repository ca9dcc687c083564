import { describe, expect, test } from 'vitest'
import { ISSUED_TOKEN_CHECKS } from '../../../harness/attacks/catalog/issued-token-checks.ts'
import type { IssuedTokenRequest, IssuedTokenResponse } from '../../../harness/contracts/issued-token.ts'
import { evaluateGates } from '../../../harness/oracle/gates.ts'
import { addIssuedMetrics, issuedCaseRows, issuedNotCovered, IssuedTokenLedger } from '../../../harness/oracle/issued-ledger.ts'
import { judgeIssuedToken } from '../../../harness/oracle/issued-token.ts'
import { MetricsBuilder } from '../../../harness/oracle/metrics.ts'
import { tokenHash } from '../../../harness/protocol/token-hash.ts'

const NOW = 1_800_000_000_000
const nowS = NOW / 1000

/** An unsigned compact JWT: the checks read claims, they never verify. */
function jwt(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'ES256', typ: 'at+jwt' }): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${b64(header)}.${b64(claims)}.c2ln`
}

const REQ: IssuedTokenRequest = {
  source: 'provisioning',
  issuer: 'https://as.example',
  ref: 'a1.1',
  clientId: 'c-sub',
  jkt: 'jkt-sub',
  principal: 'u1',
  actors: ['c-sub', 'c-agent'],
  resource: 'https://rs.example/api',
  registeredScope: ['tickets:read'],
  subjectScope: ['tickets:read', 'refunds:write'],
}

const GOOD_CLAIMS = {
  iss: 'https://as.example',
  jti: 'j1',
  sub: 'u1',
  client_id: 'c-sub',
  aud: 'https://rs.example/api',
  iat: nowS,
  exp: nowS + 300,
  scope: 'tickets:read',
  cnf: { jkt: 'jkt-sub' },
  act: { sub: 'c-sub', act: { sub: 'c-agent' } },
}

function res(claims: Record<string, unknown>, extra: Partial<IssuedTokenResponse> = {}): IssuedTokenResponse {
  return { access_token: jwt(claims), token_type: 'DPoP', expires_in: 300, scope: 'tickets:read', cache_control: 'no-store', ...extra }
}

const judge = (claims: Record<string, unknown>, extra: Partial<IssuedTokenResponse> = {}, req = REQ, maxS = 3600) => judgeIssuedToken(req, res(claims, extra), NOW, maxS)

describe('issued-token checks', () => {
  test('a token exactly as asked for passes every check', () => {
    expect(Object.values(judge(GOOD_CLAIMS)).every((f) => f.ok === true)).toBe(true)
  })

  test('issued.jwt-profile (RFC 9068 §2.1, §2.2): typ other than at+jwt, alg none, a missing required claim, another iss each fail', () => {
    const withHeader = (h: Record<string, unknown>) => judgeIssuedToken(REQ, { ...res(GOOD_CLAIMS), access_token: jwt(GOOD_CLAIMS, h) }, NOW, 3600)['issued.jwt-profile']
    expect(withHeader({ alg: 'ES256', typ: 'JWT' })).toMatchObject({ ok: false, why: expect.stringContaining('not at+jwt') })
    expect(withHeader({ alg: 'none', typ: 'at+jwt' })).toMatchObject({ ok: false, why: expect.stringContaining('not signed') })
    expect(withHeader({ alg: 'ES256', typ: 'application/at+jwt' }).ok).toBe(true)
    const { iat: _iat, jti: _jti, ...noIat } = GOOD_CLAIMS
    expect(judge(noIat)['issued.jwt-profile']).toMatchObject({ ok: false, why: expect.stringContaining('no iat, jti') })
    expect(judge({ ...GOOD_CLAIMS, iss: 'https://evil.example' })['issued.jwt-profile']).toMatchObject({ ok: false, why: expect.stringContaining('not the AS') })
  })

  test('issued.no-store (RFC 6749 §5.1): a token response without Cache-Control no-store fails; unseen headers are not judged', () => {
    expect(judge(GOOD_CLAIMS, { cache_control: 'private, no-store' })['issued.no-store'].ok).toBe(true)
    expect(judge(GOOD_CLAIMS, { cache_control: 'max-age=300' })['issued.no-store']).toMatchObject({ ok: false, why: expect.stringContaining('max-age=300') })
    expect(judge(GOOD_CLAIMS, { cache_control: null })['issued.no-store']).toMatchObject({ ok: false, why: expect.stringContaining('absent') })
    expect(judge(GOOD_CLAIMS, { cache_control: undefined })['issued.no-store'].ok).toBe(null)
  })

  test('issued.cnf-jkt (RFC 9449 §6.1): no cnf, another key\'s thumbprint, or token_type Bearer each fail', () => {
    const { cnf: _cnf, ...unbound } = GOOD_CLAIMS
    expect(judge(unbound)['issued.cnf-jkt']).toMatchObject({ ok: false, why: expect.stringContaining('no cnf.jkt') })
    expect(judge({ ...GOOD_CLAIMS, cnf: { jkt: 'jkt-agent' } })['issued.cnf-jkt']).toMatchObject({ ok: false, why: expect.stringContaining('jkt-agent') })
    expect(judge(GOOD_CLAIMS, { token_type: 'Bearer' })['issued.cnf-jkt']).toMatchObject({ ok: false, why: expect.stringContaining('token_type Bearer') })
  })

  test('issued.aud (RFC 8707 §2): a missing aud, another resource, or an extra audience fail', () => {
    const { aud: _aud, ...noAud } = GOOD_CLAIMS
    expect(judge(noAud)['issued.aud'].ok).toBe(false)
    expect(judge({ ...GOOD_CLAIMS, aud: 'https://other.example' })['issued.aud'].ok).toBe(false)
    expect(judge({ ...GOOD_CLAIMS, aud: ['https://rs.example/api', 'https://other.example'] })['issued.aud']).toMatchObject({ ok: false, why: expect.stringContaining('also names https://other.example') })
  })

  test('issued.act-chain (RFC 8693 §4.1): a flattened chain, another sub or another client_id fail', () => {
    expect(judge({ ...GOOD_CLAIMS, act: { sub: 'c-sub' } })['issued.act-chain']).toMatchObject({ ok: false, why: expect.stringContaining('earlier actors lost') })
    expect(judge({ ...GOOD_CLAIMS, sub: 'c-agent' })['issued.act-chain']).toMatchObject({ ok: false, why: expect.stringContaining('instead of the principal u1') })
    expect(judge({ ...GOOD_CLAIMS, client_id: 'c-agent' })['issued.act-chain'].ok).toBe(false)
    expect(judge({ ...GOOD_CLAIMS, act: 'c-sub' })['issued.act-chain']).toMatchObject({ ok: false, why: expect.stringContaining('not a chain') })
  })

  test('issued.scope (RFC 8693 §2.1, RFC 6749 §3.3): the token claim is judged, beyond registration or beyond the subject', () => {
    // the response says the grant, the token carries the parent's scope: the token wins
    expect(judge({ ...GOOD_CLAIMS, scope: 'tickets:read refunds:write' })['issued.scope']).toMatchObject({ ok: false, why: expect.stringContaining('refunds:write beyond the client\'s registered scope') })
    const wideRegistration = { ...REQ, registeredScope: ['tickets:read', 'admin:all'] }
    expect(judge({ ...GOOD_CLAIMS, scope: 'tickets:read admin:all' }, {}, wideRegistration)['issued.scope']).toMatchObject({ ok: false, why: expect.stringContaining('admin:all beyond the subject token\'s scope') })
    // a pre-registered client's registration is not known: only the subject bounds it
    expect(judge(GOOD_CLAIMS, {}, { ...REQ, registeredScope: null })['issued.scope'].ok).toBe(true)
  })

  test('issued.lifetime (policy; RFC 6749 §5.1): over the policy maximum, or exp past expires_in, fail; within both, pass', () => {
    expect(judge({ ...GOOD_CLAIMS, exp: nowS + 86_400 }, { expires_in: 86_400 })['issued.lifetime']).toMatchObject({ ok: false, why: expect.stringContaining('exceeds the policy\'s maximum of 3600 s') })
    expect(judge({ ...GOOD_CLAIMS, exp: nowS + 3000 }, { expires_in: 300 })['issued.lifetime']).toMatchObject({ ok: false, why: expect.stringContaining('past what expires_in (300 s) said') })
    // within the clock allowance
    expect(judge({ ...GOOD_CLAIMS, exp: nowS + 330 }, { expires_in: 300 })['issued.lifetime'].ok).toBe(true)
    expect(judge({ ...GOOD_CLAIMS, exp: nowS + 7200 }, { expires_in: 7200 }, REQ, 8 * 3600)['issued.lifetime'].ok).toBe(true)
  })

  test('an opaque token: the claim checks are not judged (with the reason), scope and lifetime from the response', () => {
    const f = judgeIssuedToken(REQ, { access_token: 'opaque-abc', token_type: 'DPoP', expires_in: 7200, scope: 'tickets:read' }, NOW, 3600)
    expect(f['issued.cnf-jkt']).toMatchObject({ ok: null, notJudged: expect.stringContaining('opaque') })
    expect(f['issued.scope'].ok).toBe(true)
    expect(f['issued.lifetime'].ok).toBe(false)
  })
})

describe('issued-token ledger: rows, metrics, gates', () => {
  test('a failing MUST check is a breach row naming the token by hash; policy failures gate by default', () => {
    const ledger = new IssuedTokenLedger(ISSUED_TOKEN_CHECKS, 3600)
    const { cnf: _cnf, ...unbound } = GOOD_CLAIMS
    const bad = res({ ...unbound, act: { sub: 'c-sub' } })
    ledger.observe(REQ, res(GOOD_CLAIMS), NOW)
    ledger.observe({ ...REQ, source: 'escalate.nested-act', ref: 'case-2' }, bad, NOW)
    const summary = ledger.summary()
    expect(summary.tokens).toBe(2)
    const rows = issuedCaseRows(summary, ISSUED_TOKEN_CHECKS)
    const cnf = rows.find((r) => r.id === 'issued.cnf-jkt')!
    expect(cnf).toMatchObject({ verdict: 'breach', attempts: 2, counts: { pass: 1, breach: 1 } })
    expect(cnf.examples[0]).toMatchObject({ trace_id: '', token_hash: tokenHash(bad.access_token), verdict: 'breach' })
    expect(cnf.examples[0].why).toContain('escalate.nested-act case-2')
    expect(JSON.stringify(summary)).not.toContain(bad.access_token)
    expect(rows.find((r) => r.id === 'issued.act-chain')).toMatchObject({ verdict: 'warn', counts: { pass: 1, warn: 1 } })
    expect(rows.find((r) => r.id === 'issued.aud')).toMatchObject({ verdict: 'pass' })

    const metrics = new MetricsBuilder([]).finish()
    addIssuedMetrics(metrics, summary, ISSUED_TOKEN_CHECKS)
    const failed = evaluateGates(metrics).filter((g) => !g.ok).map((g) => g.metric)
    expect(failed).toEqual(expect.arrayContaining(['gatecrash_breaches', 'gatecrash_warns{case:issued.act-chain}']))
    expect(failed).not.toContain('gatecrash_warns{case:issued.scope}')
  })

  test('no judged token: the check is not covered, with the reason', () => {
    const ledger = new IssuedTokenLedger(ISSUED_TOKEN_CHECKS, 3600)
    ledger.observe(REQ, { access_token: 'opaque', token_type: 'DPoP', expires_in: 300 }, NOW)
    const summary = ledger.summary()
    expect(issuedCaseRows(summary, ISSUED_TOKEN_CHECKS).find((r) => r.id === 'issued.act-chain')).toMatchObject({ verdict: 'not-covered', counts: { 'not-covered': 1 } })
    expect(issuedNotCovered(summary)['issued.act-chain']).toContain('opaque')
  })})

describe('metadata.jwks-public (RFC 7517 §4, RFC 7518 §6)', () => {
  const rowAfter = (jwks: unknown) => {
    const ledger = new IssuedTokenLedger(ISSUED_TOKEN_CHECKS, 3600)
    ledger.observeJwks(jwks, 'jwks_uri https://as.example/jwks')
    return issuedCaseRows(ledger.summary(), ISSUED_TOKEN_CHECKS).find((r) => r.id === 'metadata.jwks-public')!
  }

  test('public EC keys pass', () => {
    expect(rowAfter({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }] })).toMatchObject({ verdict: 'pass', attempts: 1 })
  })

  test('a private d or a symmetric k is a breach naming the member, never its value', () => {
    const row = rowAfter({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1', d: 'SECRET-D' }, { kty: 'oct', k: 'SECRET-K' }] })
    expect(row).toMatchObject({ verdict: 'breach', class: 'metadata' })
    expect(row.examples[0].why).toContain('key 0 (kid k1) has d; key 1 has k')
    expect(JSON.stringify(row)).not.toMatch(/SECRET-/)
  })

  test('no JWK set at all: not covered, with the reason', () => {
    expect(rowAfter({ error: 'nope' })).toMatchObject({ verdict: 'not-covered', counts: { 'not-covered': 1 } })
  })
})
