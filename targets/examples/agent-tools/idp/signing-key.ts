/**
 * The key of the example's stand-in company IdP (print-subject-token.ts): made once into the data
 * folder (mode 0600) and kept, as an IdP keeps its signing key; its public half is what the AS is
 * told to trust (EXAMPLE_IDP_JWKS).
 */
import { createHash, generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export interface IdpKey {
  privateJwk: JsonWebKey & { kid: string }
  jwks: { keys: (JsonWebKey & { kid: string; alg: 'ES256'; use: 'sig' })[] }
}

export function ensureIdpKey(file: string): IdpKey {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true })
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
    // RFC 7638 thumbprint as kid: stable for the key, no registry needed
    const kid = createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url')
    writeFileSync(file, JSON.stringify({ ...jwk, kid }), { mode: 0o600 })
  }
  const privateJwk = JSON.parse(readFileSync(file, 'utf8')) as IdpKey['privateJwk']
  const { d: _private, ...publicJwk } = privateJwk
  return { privateJwk, jwks: { keys: [{ ...publicJwk, kid: privateJwk.kid, alg: 'ES256', use: 'sig' }] } }
}
