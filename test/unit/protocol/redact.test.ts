/**
 * docs/architecture.md "Safety": no credential in clear in any artifact or log. The shared redaction
 * layer blanks credential-shaped text (JWTs, auth-scheme values, OAuth credential parameters) and,
 * through a Redactor, the run's known secrets in every form a third-party server may log them in.
 */
import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { redact, REDACTED_SECRET, REDACTED_TOKEN, Redactor } from '../../../harness/protocol/redact.ts'
import { redact as reportsRedact } from '../../../reports/redact.ts'

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJl'
const SECRET = 'iat+Secret/with=special chars~42'

describe('redact(): credential-shaped text', () => {
  test('reports/redact.ts is the same function (reporters keep their import)', () => {
    expect(reportsRedact).toBe(redact)
  })

  test('JWTs and values after Bearer / DPoP, as before', () => {
    expect(redact(`upstream said | Bearer ${JWT}`)).toBe(`upstream said | Bearer ${REDACTED_TOKEN}`)
    expect(redact('Authorization: DPoP abcdefghijklmnopqrstuvwxyz0123')).toBe(`Authorization: DPoP ${REDACTED_TOKEN}`)
    expect(redact(`token ${JWT} seen`)).toBe(`token ${REDACTED_TOKEN} seen`)
    // short values and prose stay readable
    expect(redact('Bearer realm="rs-1", error="invalid_token"')).toBe('Bearer realm="rs-1", error="invalid_token"')
    expect(redact('status 401, no Bearer token')).toBe('status 401, no Bearer token')
  })

  test('Basic credentials and OAuth credential parameters in forms, queries and JSON', () => {
    const basic = Buffer.from('agent-7:a-client-secret-value').toString('base64')
    expect(redact(`Authorization: Basic ${basic}`)).toBe(`Authorization: Basic ${REDACTED_TOKEN}`)
    expect(redact('Basic authentication failed')).toBe('Basic authentication failed')
    expect(redact('grant_type=urn%3Aietf&subject_token=opaque-subject-1234&x=1')).toBe(`grant_type=urn%3Aietf&subject_token=${REDACTED_TOKEN}&x=1`)
    expect(redact('{"client_secret": "s3cr3t-value-xyz", "client_id": "a"}')).toBe(`{"client_secret": "${REDACTED_TOKEN}", "client_id": "a"}`)
    expect(redact('error=invalid_grant code=400')).toBe('error=invalid_grant code=400')
  })
})

describe('Redactor: the run\'s known secrets', () => {
  const forms = (s: string): Record<string, string> => ({
    plain: s,
    base64url: Buffer.from(s).toString('base64url'),
    base64: Buffer.from(s).toString('base64'),
    'URL-encoded': encodeURIComponent(s),
    'URL-encoded, lower-case hex': encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    'form-encoded': new URLSearchParams({ v: s }).toString().slice(2),
  })

  for (const [name, form] of Object.entries(forms(SECRET))) {
    test(`a registered secret is blanked in its ${name} form`, () => {
      const r = new Redactor().register(SECRET)
      const out = r.redact(`before ${form} after`)
      expect(out).not.toContain(form)
      expect(out).toContain(REDACTED_SECRET)
      expect(out.startsWith('before ')).toBe(true)
    })
  }

  test('inside a longer base64 blob, at every byte alignment (client_secret_basic, an encoded JSON document)', () => {
    const r = new Redactor().register(SECRET)
    for (const prefix of ['', 'a', 'ab', 'abc', 'client:']) {
      for (const alphabet of ['base64', 'base64url'] as const) {
        const blob = Buffer.from(`${prefix}${SECRET}"}`).toString(alphabet)
        const out = r.redact(blob)
        expect(out, `${alphabet} after '${prefix}'`).toContain(REDACTED_SECRET)
        // what is left of the blob decodes to at most two bytes of the secret at each edge
        const left = out.split(REDACTED_SECRET).join('')
        expect(left.length, `${alphabet} after '${prefix}'`).toBeLessThanOrEqual(blob.length - (SECRET.length * 4) / 3 + 6)
      }
    }
  })

  test('a private JWK: d as text and its key bytes in base64 and hex; the public members stay', () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
    const r = new Redactor().registerJwk(jwk)
    const bytes = Buffer.from(jwk.d!, 'base64url')
    for (const form of [jwk.d!, bytes.toString('base64'), bytes.toString('hex'), bytes.toString('hex').toUpperCase(), JSON.stringify(jwk)]) {
      expect(r.redact(`key: ${form}`)).not.toContain(jwk.d!)
      expect(r.redact(`key: ${form}`)).not.toContain(form)
    }
    expect(r.redact(`x=${jwk.x}`)).toBe(`x=${jwk.x}`)
  })

  test('credential-shaped text is blanked too, and short secrets are refused', () => {
    const r = new Redactor().register(SECRET)
    expect(r.redact(`Bearer ${JWT}`)).toBe(`Bearer ${REDACTED_TOKEN}`)
    expect(() => r.register('short')).toThrow(TypeError)
    expect(new Redactor().redact('nothing to hide')).toBe('nothing to hide')
  })
})
