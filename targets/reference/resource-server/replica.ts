/**
 * One resource-server replica (N per resource server behind a round-robin front), built from its
 * config. The audience and the public origin are the front's URL, from the config; the replica's
 * own listening address matters to nobody but the front. main.ts runs it as a process; the specs
 * also build one in-process to test a flaw switch without starting a whole target.
 */
import { EvidenceWriter } from '../evidence-writer/evidence-writer.ts'
import { hasFlaw } from '../flaws.ts'
import { HttpReplayStore } from '../replay-store/replay-client.ts'
import type { ComponentRuntime } from '../shared/child-main.ts'
import type { RsConfig } from '../shared/component-config.ts'
import { PublicKeyCache } from '../shared/jwk-keys.ts'
import { MemoryReplayStore, type ReplayStore } from '../shared/replay-store.ts'
import { AccessTokenVerifier } from './access-token-verifier.ts'
import { RequestAuthorizer } from './authorize-request.ts'
import { JwksClient } from './jwks-client.ts'
import { LifecycleState } from './lifecycle-state.ts'
import { recordMaker } from './rs-evidence.ts'
import { rsHandler } from './rs-server.ts'
import { RefundLedger } from './tool-handlers.ts'
import { toolsOf } from './tools.ts'

export async function startReplica(config: RsConfig): Promise<ComponentRuntime> {
  const { flaws, audience } = config
  const writer = new EvidenceWriter({
    component: config.node,
    sinkUrl: config.sinkUrl,
    dropDenies: hasFlaw(flaws, 'evidence-drops-denies'),
    keepOneIn: hasFlaw(flaws, 'evidence-sampled') ? 100 : 1,
  })
  const jwks = new JwksClient(config.jwksUri)
  await Promise.all([writer.init(), jwks.refresh()])
  // revocations, offboarding and retired keys: pulled from the AS before this replica is ready, then pushed
  const lifecycle = new LifecycleState({ secret: config.lifecycleSecret ?? null, refreshKeys: () => jwks.refresh() })
  await lifecycle.syncFrom(config.issuer)
  // flaw replay-cache-per-replica: each replica remembers only the proofs it saw itself
  const shared = hasFlaw(flaws, 'replay-cache-per-replica') ? null : new HttpReplayStore(config.replayStoreUrl)
  const replay: ReplayStore = shared ?? new MemoryReplayStore()
  const authorizer = new RequestAuthorizer({
    node: config.node,
    audience,
    origin: config.origin,
    verifier: new AccessTokenVerifier({ issuer: config.issuer, audience, jwks, flaws }),
    keys: new PublicKeyCache(),
    replay,
    flaws,
    lifecycle,
  })
  return {
    handler: rsHandler({ audience, issuer: config.issuer, authorizer, writer, ledger: new RefundLedger(), tools: toolsOf(config.id), record: recordMaker(flaws), lifecycle }),
    close: async () => {
      await writer.close()
      await shared?.close().catch(() => {})
    },
  }
}
