/**
 * Authorization server process entry (forked by the adapter). With a data directory and a state key
 * it journals its clients, keys and lifecycle state (as-state.ts), so a restart on the same port
 * carries on where the killed process stopped.
 */
import { createLocalJWKSet } from 'jose'
import { b64urlSha256 } from '../../../harness/protocol/token-hash.ts'
import { EvidenceWriter } from '../evidence-writer/evidence-writer.ts'
import { hasFlaw } from '../flaws.ts'
import { runComponent } from '../shared/child-main.ts'
import type { AsConfig, ResourceRegistration } from '../shared/component-config.ts'
import { PublicKeyCache } from '../shared/jwk-keys.ts'
import { MemoryReplayStore } from '../shared/replay-store.ts'
import type { AsContext } from './as-context.ts'
import { asHandler } from './as-server.ts'
import { AsStateJournal, TokenTtls } from './as-state.ts'
import { ClientRegistry } from './client-registry.ts'
import { LifecyclePublisher } from './lifecycle-publisher.ts'
import { SigningKeys } from './signing-keys.ts'

runComponent<AsConfig>('authorization-server', async (config, baseUrl) => {
  const writer = new EvidenceWriter({
    component: 'as',
    sinkUrl: config.sinkUrl,
    sinkSecret: config.evidenceSecret,
    dropDenies: hasFlaw(config.flaws, 'evidence-drops-denies'),
    dropWhenSinkDown: hasFlaw(config.flaws, 'evidence-drop-when-sink-down'),
    dataDir: config.dataDir,
    audience: baseUrl,
    maxBuffer: config.evidenceMaxBuffer,
  })
  await writer.init()
  const state = config.dataDir !== undefined && config.stateKey !== undefined ? AsStateJournal.open(config.dataDir, config.stateKey) : null
  const journal = state?.journal ?? null
  const keyOptions = { publishPrivate: hasFlaw(config.flaws, 'jwks-private-members') }
  const keys = state !== null ? await SigningKeys.restore(state.saved, journal!.keys, keyOptions) : await SigningKeys.generate(null, keyOptions)
  const lifecycle = new LifecyclePublisher({ secret: config.lifecycleSecret ?? '', currentKid: () => keys.kid, persist: journal?.lifecycle ?? null })
  for (const { event, propagate } of state?.saved.lifecycle ?? []) lifecycle.restore(event, propagate)
  const ctx: AsContext = {
    issuer: baseUrl,
    tokenEndpoint: `${baseUrl}/token`,
    keys,
    clients: state !== null ? ClientRegistry.restore(state.saved, journal!.clients) : new ClientRegistry(),
    resources: new Map(),
    trust: { issuer: config.trust.issuer, keys: createLocalJWKSet(config.trust.jwks) },
    replay: new MemoryReplayStore(),
    proofKeys: new PublicKeyCache(),
    writer,
    tokenTtlS: config.tokenTtlS,
    tokenTtlByClient: new TokenTtls(state?.saved.ttls, journal?.ttl ?? null),
    // Only hashes are kept, so the secrets are not sitting in this process's heap longer than needed
    // (the lifecycle secret itself is needed to push to the resource servers).
    initialAccessTokenHash: b64urlSha256(config.initialAccessToken),
    adminSecretHash: config.adminSecret !== undefined ? b64urlSha256(config.adminSecret) : null,
    lifecycleSecretHash: config.lifecycleSecret !== undefined ? b64urlSha256(config.lifecycleSecret) : null,
    lifecycle,
    flaws: config.flaws,
  }
  // A restart: the resource servers are known already. Replicas get the snapshot pushed in the
  // background (one that is down or paused now takes it when it answers again).
  for (const r of config.resources ?? []) {
    ctx.resources.set(r.audience, [...r.scopes])
    void ctx.lifecycle.setReplicas(r.audience, r.replicaUrls ?? [])
  }
  return {
    handler: asHandler(ctx),
    close: async () => {
      ctx.lifecycle.close()
      await writer.close()
    },
    async onCall(method, params) {
      if (method !== 'add-resource') throw new Error(`unknown call ${method}`)
      const r = params as ResourceRegistration
      ctx.resources.set(r.audience, [...r.scopes])
      // A replica listed for the first time is pushed the lifecycle snapshot before this answers; one
      // that cannot take it (down, or configured without the lifecycle secret) fails the call loudly.
      const pushed = await ctx.lifecycle.setReplicas(r.audience, r.replicaUrls ?? [])
      if (pushed.failed.length > 0) throw new Error(`lifecycle snapshot not taken by ${pushed.failed.join(', ')} (retrying in the background)`)
      return { ok: true, replicas: ctx.lifecycle.replicaUrls.length }
    },
  }
})
