/**
 * Whom a refused request can be attributed to. A token the library accepted is trusted as it is.
 * A token refused for something other than its signature (wrong audience, expired, no proof, a
 * replayed proof, Bearer scheme) is still genuine: its signature is checked here against the AS's
 * keys and issuer, and then its claims name the principal and actor chain in the record. A token
 * whose signature does not verify names nobody: writing its claims would let anyone put audit
 * lines in a victim's name.
 */
import { compactVerify, createRemoteJWKSet, decodeProtectedHeader, calculateJwkThumbprint, type JWK } from 'jose'

export interface TokenClaims {
  sub?: string
  client_id?: string
  act?: unknown
  scope?: string
  jti?: string
  aud?: string | string[]
  exp?: number
  cnf?: { jkt?: string }
  sub_type?: string
  [claim: string]: unknown
}

export function attributor(issuer: string, jwksUrl: string): (token: string) => Promise<TokenClaims | null> {
  const keys = createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 })
  return async (token) => {
    try {
      const { payload, protectedHeader } = await compactVerify(token, keys, { algorithms: ['ES256'] })
      if (protectedHeader.typ?.toLowerCase().replace(/^application\//, '') !== 'at+jwt') return null
      const claims = JSON.parse(new TextDecoder().decode(payload)) as TokenClaims
      return claims.iss === issuer ? claims : null
    } catch {
      return null
    }
  }
}

/** The RFC 7638 thumbprint of the key a DPoP proof carries (read, not verified: for the record's facts). */
export async function proofKeyThumbprint(proof: string | null): Promise<string | null> {
  if (proof === null) return null
  try {
    const jwk = decodeProtectedHeader(proof).jwk as JWK | undefined
    return jwk === undefined ? null : await calculateJwkThumbprint(jwk)
  } catch {
    return null
  }
}

/** The payload of a DPoP proof, read without verifying (facts about what was sent, or after the library verified it). */
export function proofClaims(proof: string | null): { jti?: unknown; htu?: unknown; htm?: unknown; iat?: unknown; ath?: unknown } | null {
  if (proof === null) return null
  try {
    return JSON.parse(Buffer.from(proof.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
  } catch {
    return null
  }
}
