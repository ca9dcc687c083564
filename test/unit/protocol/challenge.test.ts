import { describe, expect, test } from 'vitest'
import { challengeSchemeOf, oauthErrorOf, parseWwwAuthenticate } from '../../../harness/protocol/challenge.ts'

describe('RFC 9110 §11.6.1 WWW-Authenticate', () => {
  test('one challenge with quoted and token params (RFC 9449 §7.1)', () => {
    expect(parseWwwAuthenticate('DPoP error="invalid_dpop_proof", error_description="bad proof", algs="ES256 PS256"')).toEqual([
      { scheme: 'DPoP', params: { error: 'invalid_dpop_proof', error_description: 'bad proof', algs: 'ES256 PS256' } },
    ])
  })

  test('commas inside quoted strings do not split, and quoted-pairs unescape (RFC 9110 §5.6.4)', () => {
    expect(parseWwwAuthenticate('Bearer realm="a, b", error_description="say \\"no\\", twice", error=invalid_token')).toEqual([
      { scheme: 'Bearer', params: { realm: 'a, b', error_description: 'say "no", twice', error: 'invalid_token' } },
    ])
  })

  test('several challenges in one header and across repeated headers (RFC 9449 Fig. 18)', () => {
    const one = parseWwwAuthenticate('Bearer realm="rs", error="invalid_token", DPoP algs="ES256", error="invalid_token"')
    expect(one.map((c) => c.scheme)).toEqual(['Bearer', 'DPoP'])
    expect(one[1].params).toEqual({ algs: 'ES256', error: 'invalid_token' })
    const two = parseWwwAuthenticate(['DPoP algs="ES256"', 'Bearer realm="rs"'])
    expect(two).toEqual([
      { scheme: 'DPoP', params: { algs: 'ES256' } },
      { scheme: 'Bearer', params: { realm: 'rs' } },
    ])
  })

  test('challenges without params, bad whitespace around "=", and token68 (RFC 9110 §11.2)', () => {
    expect(parseWwwAuthenticate('DPoP')).toEqual([{ scheme: 'DPoP', params: {} }])
    expect(parseWwwAuthenticate('Bearer, DPoP')).toEqual([
      { scheme: 'Bearer', params: {} },
      { scheme: 'DPoP', params: {} },
    ])
    expect(parseWwwAuthenticate('Bearer realm = "x" , Error="E"')).toEqual([{ scheme: 'Bearer', params: { realm: 'x', error: 'E' } }])
    expect(parseWwwAuthenticate('Negotiate abc+/==, Basic realm="b"')).toEqual([
      { scheme: 'Negotiate', params: {}, token68: 'abc+/==' },
      { scheme: 'Basic', params: { realm: 'b' } },
    ])
    expect(parseWwwAuthenticate('')).toEqual([])
    expect(parseWwwAuthenticate(undefined)).toEqual([])
  })

  test('RFC 9110 §11.6.1 example with several params and an escaped quote', () => {
    const parsed = parseWwwAuthenticate('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"')
    expect(parsed).toEqual([
      { scheme: 'Newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
      { scheme: 'Basic', params: { realm: 'simple' } },
    ])
  })
})

describe('RFC 6750 §3 / RFC 6749 §5.2 OAuth error code of a response', () => {
  test('from the challenge first, else the JSON body, else null', () => {
    expect(oauthErrorOf({ 'www-authenticate': 'DPoP error="invalid_token"' }, { error: 'other' })).toBe('invalid_token')
    expect(oauthErrorOf({}, { error: 'invalid_scope' })).toBe('invalid_scope')
    expect(oauthErrorOf({}, '{"error":"invalid_request"}')).toBe('invalid_request')
    expect(oauthErrorOf({ 'www-authenticate': 'Bearer realm="rs"' }, 'not json')).toBeNull()
    // RFC 6750 §3.1: no credentials → challenge without an error code
    expect(oauthErrorOf({ 'www-authenticate': 'DPoP algs="ES256"' }, '')).toBeNull()
  })

  test('the error may sit on a later challenge than the first', () => {
    expect(oauthErrorOf({ 'www-authenticate': 'DPoP algs="ES256", Bearer error="invalid_token"' }, null)).toBe('invalid_token')
  })

  test('works with fetch Headers too, and reports the first scheme', () => {
    const h = new Headers({ 'www-authenticate': 'Bearer error="insufficient_scope", scope="refunds:write"' })
    expect(oauthErrorOf(h, null)).toBe('insufficient_scope')
    expect(challengeSchemeOf(h)).toBe('Bearer')
    expect(challengeSchemeOf({})).toBeNull()
  })
})
