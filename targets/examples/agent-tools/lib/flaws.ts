/**
 * Realistic misconfigurations of the example deployment, switched on by `EXAMPLE_FLAW` (a
 * comma-separated list). Each one is a mistake teams make with these libraries, and each breaks
 * exactly one control (README.md, "Flaws"). Unknown names stop the process at start, so a typo never
 * silently runs the correct deployment.
 */
export const FLAWS = {
  'no-jti-cache': 'rs: no DPoP proof replay cache (express-oauth2-jwt-bearer keeps none of its own)',
  'audience-unchecked': 'rs: the aud validator turned off (validators: { aud: false }), so tokens for another API are accepted',
  'denies-not-logged': 'as and rs: only allowed decisions reach the audit log',
  'tenant-unchecked': 'rs: the tenant in the path is not compared with the token\'s tenant claim',
  'refund-scope-missing': 'rs: the refund route forgot its requiredScopes() guard',
  'exchange-any-client': 'as: any authenticated client may exchange any access token (no delegation check)',
  'exchange-scope-not-narrowed': 'as: an exchanged token gets the client\'s registered scope, not the intersection with the subject token\'s',
} as const

export type Flaw = keyof typeof FLAWS

export function isFlaw(name: string): name is Flaw {
  return Object.hasOwn(FLAWS, name)
}

/** The flaws named in `EXAMPLE_FLAW`; throws on an unknown name. */
export function flawsFromEnv(env: NodeJS.ProcessEnv = process.env): ReadonlySet<Flaw> {
  const raw = env.EXAMPLE_FLAW ?? ''
  const out = new Set<Flaw>()
  for (const name of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!isFlaw(name)) throw new Error(`EXAMPLE_FLAW: unknown flaw "${name}" (known: ${Object.keys(FLAWS).join(', ')})`)
    out.add(name)
  }
  return out
}
