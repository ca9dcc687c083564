/**
 * Why a catalog case cannot run against a target: the capabilities it needs that the target lacks,
 * each said the way a user can act on it (which metadata member, which profile key). One wording
 * for the run's coverage table and the preflight alike.
 */
import type { AttackCase } from '../contracts/attack-case.ts'
import type { InternalPath, ResourceServerInfo, TargetCapabilities } from '../contracts/target.ts'

const LACKS: Record<Exclude<keyof TargetCapabilities, 'replicas'>, string> = {
  dpop: 'ES256 DPoP (RFC 9449: dpop_signing_alg_values_supported)',
  tokenExchange: 'token exchange (RFC 8693: grant_types_supported)',
  clientCredentials: 'the client_credentials grant (grant_types_supported)',
  registration: 'dynamic registration (RFC 7591: registration_endpoint; pre-registered clients cannot be made more of)',
  revocation: 'revocation (RFC 7009: revocation_endpoint)',
  clientDeletion: 'client deletion (RFC 7592; a profile states it with capabilities.clientDeletion)',
  adminHooks: 'admin hooks (the profile declares no admin.* hook)',
  harnessIdp: "trust in the harness's workforce IdP (subject tokens come from the profile's command, and this case signs one of its own making)",
}

/** The reason `c` is not covered against `capabilities`, or undefined when it can run. */
export function capabilityGap(c: Pick<AttackCase, 'needs' | 'hooks'>, capabilities: TargetCapabilities): string | undefined {
  const missing = (c.needs ?? []).filter((cap) => cap !== 'replicas' && !capabilities[cap]) as (keyof typeof LACKS)[]
  if (missing.length === 0) return undefined
  const hooks = missing.includes('adminHooks') && c.hooks?.length ? `; it calls ${c.hooks.map((h) => `admin.${h}`).join(' and ')}` : ''
  return `the target lacks ${missing.map((m) => LACKS[m]).join(', and ')}${hooks}`
}

/**
 * The reason a case calling an internal endpoint of `role` cannot run: the first resource server
 * (the one the population's tokens are for) declares none. The harness guesses no private path.
 */
export function internalPathGap(role: InternalPath['role'], resources: readonly ResourceServerInfo[]): string | undefined {
  const rs = resources[0]
  if (rs?.internalPaths?.some((p) => p.role === role)) return undefined
  const what = role === 'admin' ? 'management endpoint' : "endpoint its own components call"
  return `the target declares no ${what} of resource server ${rs?.id ?? '(none)'} (resources[].internalPaths with role "${role}", in a profile too)`
}

/** Everything that leaves `c` uncovered at this target: a missing capability, or a declaration it needs. */
export function coverageGap(c: Pick<AttackCase, 'needs' | 'hooks' | 'internalPath'>, target: { capabilities: TargetCapabilities; resources: readonly ResourceServerInfo[] }): string | undefined {
  return capabilityGap(c, target.capabilities) ?? (c.internalPath !== undefined ? internalPathGap(c.internalPath, target.resources) : undefined)
}
