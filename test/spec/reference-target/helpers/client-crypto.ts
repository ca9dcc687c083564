/**
 * Client-side JOSE for the reference-target specs, written with jose (SignJWT) on purpose: the
 * target's own node:crypto verification is then checked against an independent implementation.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'

export interface KeyPair {
  privateKey: CryptoKey
  publicJwk: JWK
  jkt: string
}

export async function newKeyPair(): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) }
}

export function ath(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

export interface ProofOptions {
  htm: string
  htu: string
  accessToken?: string
  jti?: string
  iat?: number
  header?: Record<string, unknown>
  extraClaims?: JWTPayload
}

/** RFC 9449 §4.2 proof. */
export function dpopProof(key: KeyPair, o: ProofOptions): Promise<string> {
  const claims: JWTPayload = {
    htm: o.htm,
    htu: o.htu,
    jti: o.jti ?? randomUUID(),
    iat: o.iat ?? Math.floor(Date.now() / 1000),
    ...(o.accessToken !== undefined ? { ath: ath(o.accessToken) } : {}),
    ...o.extraClaims,
  }
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk, ...o.header }).sign(key.privateKey)
}

/** RFC 7523 §2.2 private_key_jwt assertion. */
export function clientAssertion(key: KeyPair, clientId: string, audience: string | string[], lifetimeS = 60): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${lifetimeS}s`)
    .sign(key.privateKey)
}

/** W3C traceparent with a fresh trace id. */
export function newTrace(): { traceId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex')
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` }
}
