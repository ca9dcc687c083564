/** WWW-Authenticate challenges (RFC 6750 §3, RFC 9449 §7.1). */

const ALGS = 'algs="ES256"'

export function dpopChallenge(error?: string, scope?: string): string {
  const params = [error !== undefined ? `error="${error}"` : null, scope !== undefined ? `scope="${scope}"` : null, ALGS]
  return `DPoP ${params.filter((p) => p !== null).join(', ')}`
}

/**
 * A DPoP-bound token presented as Bearer (RFC 9449 §7.2): refuse in the Bearer scheme the client
 * used, and offer DPoP alongside so a legitimate client learns what to do.
 */
export function bearerDowngradeChallenge(): string[] {
  return ['Bearer error="invalid_token"', `DPoP ${ALGS}`]
}
