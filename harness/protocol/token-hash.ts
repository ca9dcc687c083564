/**
 * base64url(SHA-256(token)): the DPoP `ath` formula (RFC 9449 §4.2) and the only way a token
 * appears in attempts, evidence and reports (never the raw token; docs/evidence-schema.md).
 *
 * @example
 *   tokenHash(accessToken) === proofPayload.ath
 */
import { hash } from 'node:crypto'

export function tokenHash(token: string): string {
  // ASCII in, so hashing its utf8 bytes is exact; one shared formula keeps ath and evidence equal.
  return b64urlSha256(token)
}

export function b64urlSha256(input: string | Buffer): string {
  // the one-shot form: no Hash object per call (grading hashes every record of a run)
  return hash('sha256', input, 'base64url')
}
