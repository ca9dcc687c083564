/**
 * One resource-server replica (N per resource server behind a round-robin front), built from its
 * config. The audience and the public origin are the front's URL (or the fault proxy's in front of
 * it), from the config; the replica's own listening address matters to nobody but the front. A
 * replica serves its admin read and the AS's lifecycle pushes on a second, internal listener
 * (internal-server.ts) that the front never forwards to. A
 * replica needs the AS (its keys and lifecycle state) and the evidence sink to start: one that
 * cannot reach them does not report ready, rather than serve without them. main.ts runs it as a
 * process; the specs also build one in-process to test a flaw switch without starting a whole target.
 */
import { EvidenceWriter } from '../evidence-writer/evidence-writer.ts'
import { hasFlaw } from '../flaws.ts'
import { HttpReplayStore } from '../replay-store/replay-client.ts'
import type { ComponentRuntime } from '../shared/child-main.ts'
import type { RsConfig } from '../shared/component-config.ts'
import { PublicKeyCache } from '../shared/jwk-keys.ts'
import { MemoryReplayStore, type ReplayStore } from '../shared/replay-store.ts'
import { AccessTokenVerifier } from './access-token-verifier.ts'
import { internalHandler } from './internal-server.ts'
import { RequestAuthorizer } from './authorize-request.ts'
import { JwksClient } from './jwks-client.ts'
import { LifecycleState } from './lifecycle-state.ts'
import { recordMaker } from './rs-evidence.ts'
import { rsHandler } from './rs-server.ts'
import { RefundLedger } from './tool-handlers.ts'
import { toolsOf } from './tools.ts'

/** A start-up fetch from the AS, tried a few times (a busy machine, an AS restarting next door). */
async function retried<T>(fetch: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fetch()
    } catch (e) {
      if (i >= attempts) throw e
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}

export async function startReplica(config: RsConfig): Promise<ComponentRuntime> {
  const { flaws, audience } = config
  const writer = new EvidenceWriter({
    component: config.node,
    sinkUrl: config.sinkUrl,
    sinkSecret: config.evidenceSecret,
    dropDenies: hasFlaw(flaws, 'evidence-drops-denies'),
    keepOneIn: hasFlaw(flaws, 'evidence-sampled') ? 100 : 1,
    dropWhenSinkDown: hasFlaw(flaws, 'evidence-drop-when-sink-down'),
    dataDir: config.dataDir,
    audience,
    maxBuffer: config.evidenceMaxBuffer,
  })
  const jwks = new JwksClient(config.jwksUri, { timeoutMs: config.jwksTimeoutMs })
  await Promise.all([writer.init(), retried(() => jwks.refresh())])
  // Revocations, offboarding and retired keys: pulled from the AS before this replica is ready (so
  // a restarted replica cannot serve a token revoked while it was down), then pushed.
  const lifecycle = new LifecycleState({ secret: config.lifecycleSecret ?? null, refreshKeys: () => jwks.refresh() })
  await retried(() => lifecycle.syncFrom(config.lifecycleUrl ?? config.issuer))
  // flaw replay-cache-per-replica: each replica remembers only the proofs it saw itself
  const shared = hasFlaw(flaws, 'replay-cache-per-replica') ? null : new HttpReplayStore(config.replayStoreUrl, { timeoutMs: config.replayTimeoutMs })
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
  const ledger = new RefundLedger()
  const internal = internalHandler({ ledger, lifecycle })
  // flaw internal-endpoints-public: the public listener (the front's upstream) routes the internal paths again
  const exposedInternal = hasFlaw(flaws, 'internal-endpoints-public') ? internal : undefined
  return {
    handler: rsHandler({ audience, issuer: config.issuer, authorizer, writer, ledger, tools: toolsOf(config.id), record: recordMaker(flaws), exposedInternal }),
    internalHandler: internal,
    close: async () => {
      await writer.close()
      await shared?.close().catch(() => {})
    },
  }
}
