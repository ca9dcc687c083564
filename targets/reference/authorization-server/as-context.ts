/** Everything the AS endpoints share, built once in main.ts. */
import type { JWTVerifyGetKey } from 'jose'
import type { EvidenceWriter } from '../evidence-writer/evidence-writer.ts'
import type { FlawName } from '../flaws.ts'
import type { PublicKeyCache } from '../shared/jwk-keys.ts'
import type { ReplayStore } from '../shared/replay-store.ts'
import type { TokenTtls } from './as-state.ts'
import type { ClientRegistry } from './client-registry.ts'
import type { LifecyclePublisher } from './lifecycle-publisher.ts'
import type { SigningKeys } from './signing-keys.ts'

export const AS_POLICY_ID = 'reference-delegation-v1'

export interface AsContext {
  issuer: string
  tokenEndpoint: string
  keys: SigningKeys
  clients: ClientRegistry
  /** resource server audience → scopes its tools use; filled in as resource servers start */
  resources: Map<string, string[]>
  trust: { issuer: string; keys: JWTVerifyGetKey }
  /** DPoP proof jtis and client assertion jtis */
  replay: ReplayStore
  proofKeys: PublicKeyCache
  writer: EvidenceWriter
  tokenTtlS: number
  /** per-client token lifetime set through the admin API (lifecycle cases without waiting minutes) */
  tokenTtlByClient: TokenTtls
  initialAccessTokenHash: string
  /** SHA-256 of the admin API bearer secret; null when no admin secret was configured */
  adminSecretHash: string | null
  /** SHA-256 of the secret resource-server replicas present to pull the lifecycle snapshot */
  lifecycleSecretHash: string | null
  lifecycle: LifecyclePublisher
  flaws: readonly string[]
}

export function flawed(ctx: AsContext, name: FlawName): boolean {
  return ctx.flaws.includes(name)
}
