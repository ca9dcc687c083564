/**
 * The AS's token signing key: one ES256 (P-256) key, created on first start and kept in the data
 * directory so tokens stay verifiable across restarts. The private JWK never leaves this process;
 * the resource servers get the public half from the JWKS endpoint.
 */
import { createHash, generateKeyPairSync } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

export interface SigningJwk {
  kty: 'EC'
  crv: 'P-256'
  x: string
  y: string
  d: string
  kid: string
  alg: 'ES256'
  use: 'sig'
}

/** RFC 7638 thumbprint of an EC public key: the kid. */
function thumbprint(jwk: { crv: string; kty: string; x: string; y: string }): string {
  return createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url')
}

export function loadOrCreateSigningKey(file: string): SigningJwk {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SigningJwk
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = privateKey.export({ format: 'jwk' }) as { crv: 'P-256'; kty: 'EC'; x: string; y: string; d: string }
  const key: SigningJwk = { ...jwk, kid: thumbprint(jwk), alg: 'ES256', use: 'sig' }
  writeFileSync(file, JSON.stringify(key), { mode: 0o600 })
  return key
}

export function publicJwk(key: SigningJwk): Omit<SigningJwk, 'd'> {
  const { d: _d, ...pub } = key
  return pub
}
