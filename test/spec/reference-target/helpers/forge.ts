/**
 * Hand-made JOSE for the flaw specs: proofs and access tokens a correct resource server must refuse
 * (alg none, HS256, a broken signature, edited claims), and a throwaway issuer whose tokens the test
 * mints with any claims (an expired access token without waiting for one to expire).
 */
import { createHmac, randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { ath, newKeyPair, type KeyPair } from './client-crypto.ts'
import { serve, type LocalServer } from './local-replica.ts'

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

export function decodePart(jwt: string, i: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString('utf8')) as Record<string, unknown>
}

/** A DPoP proof with `alg: none` (empty signature) or HS256 (MAC with a made-up secret), claiming `key`'s jwk. */
export function unverifiableProof(key: KeyPair, alg: 'none' | 'HS256', claims: { htm: string; htu: string; accessToken: string }): string {
  const input = `${b64({ typ: 'dpop+jwt', alg, jwk: key.publicJwk })}.${b64({ jti: randomUUID(), htm: claims.htm, htu: claims.htu, iat: Math.floor(Date.now() / 1000), ath: ath(claims.accessToken) })}`
  return alg === 'none' ? `${input}.` : `${input}.${createHmac('sha256', 'not-a-key').update(input).digest('base64url')}`
}

/** The same JWS with a different (still 64-byte) signature. */
export function breakSignature(jws: string): string {
  const [h, p, s] = jws.split('.')
  const sig = Buffer.from(s, 'base64url')
  sig[10] ^= 0xff
  return `${h}.${p}.${sig.toString('base64url')}`
}

/** The token's payload with `edit` applied, keeping the original header and signature (claim tampering). */
export function tamperClaims(token: string, edit: Record<string, unknown>): string {
  const [h, , s] = token.split('.')
  return `${h}.${b64({ ...decodePart(token, 1), ...edit })}.${s}`
}

/** The token re-issued unsigned: header `{alg: none, typ: at+jwt}`, same payload, empty signature. */
export function unsignedCopy(token: string, edit: Record<string, unknown> = {}): string {
  return `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ ...decodePart(token, 1), ...edit })}.`
}

/** A throwaway authorization server: a JWKS on 127.0.0.1 and at+jwt tokens with whatever claims a test needs. */
export class TestIssuer {
  readonly #key: KeyPair
  readonly #server: LocalServer

  private constructor(key: KeyPair, server: LocalServer) {
    this.#key = key
    this.#server = server
  }

  static async start(): Promise<TestIssuer> {
    const key = await newKeyPair()
    const jwks = JSON.stringify({ keys: [{ ...key.publicJwk, kid: key.jkt, alg: 'ES256', use: 'sig' }] })
    const server = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks))
    return new TestIssuer(key, server)
  }

  get issuer(): string {
    return this.#server.url
  }

  sign(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT({ iss: this.issuer, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) - 600, ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: this.#key.jkt })
      .sign(this.#key.privateKey)
  }

  close(): Promise<void> {
    return this.#server.close()
  }
}
