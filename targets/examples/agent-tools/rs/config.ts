/** The resource server's configuration, from the environment (README.md, "Environment"). */
import path from 'node:path'
import { baseUrl, optional, port, seconds, required } from '../lib/env.ts'
import { flawsFromEnv, type Flaw } from '../lib/flaws.ts'

export type ToolSet = 'support' | 'kb'

export interface RsConfig {
  port: number
  /** the origin clients use to reach this server (DPoP htu is checked against it); undefined = http://127.0.0.1:<bound port> */
  publicOrigin: string | undefined
  /** this server's RFC 8707 resource identifier, the `aud` its tokens must carry; undefined = the public origin */
  audience: string | undefined
  issuer: string
  jwksUrl: string
  tools: ToolSet
  auditFile: string
  tenantClaim: string
  /** how old a DPoP proof may be (its iat in the past), seconds */
  proofMaxAgeS: number
  /** how far in the future a proof's iat may be (clock skew), seconds */
  proofMaxFutureS: number
  refundMax: number
  flaws: ReadonlySet<Flaw>
}

export function rsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RsConfig {
  const issuer = baseUrl(required(env, 'EXAMPLE_AS_ISSUER'), 'EXAMPLE_AS_ISSUER')
  const tools = optional(env, 'EXAMPLE_RS_TOOLS', 'support')
  if (tools !== 'support' && tools !== 'kb') throw new Error(`EXAMPLE_RS_TOOLS must be support or kb, got ${tools}`)
  return {
    port: port(env, 'EXAMPLE_RS_PORT', 8101),
    publicOrigin: env.EXAMPLE_RS_PUBLIC_ORIGIN ? new URL(baseUrl(env.EXAMPLE_RS_PUBLIC_ORIGIN, 'EXAMPLE_RS_PUBLIC_ORIGIN')).origin : undefined,
    audience: env.EXAMPLE_RS_AUDIENCE ? baseUrl(env.EXAMPLE_RS_AUDIENCE, 'EXAMPLE_RS_AUDIENCE') : undefined,
    issuer,
    jwksUrl: env.EXAMPLE_AS_JWKS_URL ? baseUrl(env.EXAMPLE_AS_JWKS_URL, 'EXAMPLE_AS_JWKS_URL') : `${issuer}/jwks`,
    tools,
    auditFile: optional(env, 'EXAMPLE_RS_AUDIT_LOG', path.resolve('agent-tools-data', `rs-${tools}-audit.jsonl`)),
    tenantClaim: optional(env, 'EXAMPLE_TENANT_CLAIM', 'tenant'),
    proofMaxAgeS: seconds(env, 'EXAMPLE_DPOP_MAX_AGE_S', 60),
    proofMaxFutureS: seconds(env, 'EXAMPLE_DPOP_MAX_FUTURE_S', 60),
    refundMax: Number(optional(env, 'EXAMPLE_REFUND_MAX', '500')),
    flaws: flawsFromEnv(env),
  }
}
