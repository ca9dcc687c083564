/**
 * The authorization server's configuration, from the environment (README.md, "Environment").
 * Secrets come from the environment only: the initial access token is never a file in the image.
 */
import path from 'node:path'
import { baseUrl, jsonFromEnv, optional, port, required, seconds } from '../lib/env.ts'
import { flawsFromEnv, type Flaw } from '../lib/flaws.ts'

export interface JsonWebKeySet {
  keys: Record<string, unknown>[]
}

export interface AsConfig {
  port: number
  /** the issuer identifier; undefined = http://127.0.0.1:<bound port> */
  issuer: string | undefined
  dataDir: string
  auditFile: string
  /** RFC 7591 §3: the bearer token that registration requires */
  initialAccessToken: string
  /** the workforce IdP whose user assertions are accepted as subject tokens */
  idp: { issuer: string; jwks: JsonWebKeySet | null; jwksUrl: string | null }
  /** the claim carrying the tenant, in user assertions and in the tokens this AS issues */
  tenantClaim: string
  /** RFC 8707 resource indicator → the scopes that resource server knows */
  resources: Map<string, string[]>
  tokenTtlS: number
  /** how long after registration a client may still take its place as a sub-agent (README.md, Delegation policy) */
  childBindWindowS: number
  flaws: ReadonlySet<Flaw>
}

function resourcesFrom(env: NodeJS.ProcessEnv): Map<string, string[]> {
  const raw = jsonFromEnv(env, 'EXAMPLE_RESOURCES')
  if (raw === undefined || raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error('EXAMPLE_RESOURCES (or EXAMPLE_RESOURCES_FILE) must be a JSON object: {"<resource URL>": "<space-separated scopes>"}')
  }
  const out = new Map<string, string[]>()
  for (const [url, scope] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof scope !== 'string' || scope.trim() === '') throw new Error(`EXAMPLE_RESOURCES: ${url} needs a space-separated scope string`)
    out.set(baseUrl(url, 'EXAMPLE_RESOURCES'), scope.split(' ').filter(Boolean))
  }
  if (out.size === 0) throw new Error('EXAMPLE_RESOURCES names no resource server')
  return out
}

export function asConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AsConfig {
  const jwks = jsonFromEnv(env, 'EXAMPLE_IDP_JWKS') as JsonWebKeySet | undefined
  const jwksUrl = env.EXAMPLE_IDP_JWKS_URL ? baseUrl(env.EXAMPLE_IDP_JWKS_URL, 'EXAMPLE_IDP_JWKS_URL') : null
  if (jwks === undefined && jwksUrl === null) throw new Error('the workforce IdP keys are required: EXAMPLE_IDP_JWKS (JSON), EXAMPLE_IDP_JWKS_FILE or EXAMPLE_IDP_JWKS_URL')
  if (jwks !== undefined && !Array.isArray(jwks?.keys)) throw new Error('EXAMPLE_IDP_JWKS: not a JWK Set ({"keys": [...]})')
  const dataDir = path.resolve(optional(env, 'EXAMPLE_AS_DATA_DIR', 'agent-tools-data/as'))
  return {
    port: port(env, 'EXAMPLE_AS_PORT', 8100),
    issuer: env.EXAMPLE_AS_ISSUER ? baseUrl(env.EXAMPLE_AS_ISSUER, 'EXAMPLE_AS_ISSUER') : undefined,
    dataDir,
    auditFile: optional(env, 'EXAMPLE_AS_AUDIT_LOG', path.join(dataDir, 'audit.jsonl')),
    initialAccessToken: required(env, 'EXAMPLE_INITIAL_ACCESS_TOKEN'),
    idp: { issuer: required(env, 'EXAMPLE_IDP_ISSUER'), jwks: jwks ?? null, jwksUrl },
    tenantClaim: optional(env, 'EXAMPLE_TENANT_CLAIM', 'tenant'),
    resources: resourcesFrom(env),
    tokenTtlS: seconds(env, 'EXAMPLE_TOKEN_TTL_S', 300),
    childBindWindowS: seconds(env, 'EXAMPLE_CHILD_BIND_WINDOW_S', 600),
    flaws: flawsFromEnv(env),
  }
}
