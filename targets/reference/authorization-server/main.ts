/** Authorization server process entry (forked by the adapter). */
import { createLocalJWKSet } from 'jose'
import { b64urlSha256 } from '../../../harness/evidence/chain.ts'
import { EvidenceWriter } from '../evidence-writer/evidence-writer.ts'
import { hasFlaw } from '../flaws.ts'
import { runComponent } from '../shared/child-main.ts'
import type { AsConfig, ResourceRegistration } from '../shared/component-config.ts'
import { PublicKeyCache } from '../shared/jwk-keys.ts'
import { MemoryReplayStore } from '../shared/replay-store.ts'
import type { AsContext } from './as-context.ts'
import { asHandler } from './as-server.ts'
import { ClientRegistry } from './client-registry.ts'
import { SigningKeys } from './signing-keys.ts'

runComponent<AsConfig>('authorization-server', async (config, baseUrl) => {
  const writer = new EvidenceWriter({ component: 'as', sinkUrl: config.sinkUrl, dropDenies: hasFlaw(config.flaws, 'evidence-drops-denies') })
  await writer.init()
  const ctx: AsContext = {
    issuer: baseUrl,
    tokenEndpoint: `${baseUrl}/token`,
    keys: await SigningKeys.generate(),
    clients: new ClientRegistry(),
    resources: new Map(),
    trust: { issuer: config.trust.issuer, keys: createLocalJWKSet(config.trust.jwks) },
    replay: new MemoryReplayStore(),
    proofKeys: new PublicKeyCache(),
    writer,
    tokenTtlS: config.tokenTtlS,
    // Only a hash is kept, so the secret is not sitting in this process's heap longer than needed.
    initialAccessTokenHash: b64urlSha256(config.initialAccessToken),
  }
  return {
    handler: asHandler(ctx),
    close: () => writer.close(),
    async onCall(method, params) {
      if (method !== 'add-resource') throw new Error(`unknown call ${method}`)
      const r = params as ResourceRegistration
      ctx.resources.set(r.audience, [...r.scopes])
      return { ok: true }
    },
  }
})
