/**
 * Harness memory per identity (agent or sub-agent, with its key, registration and current token):
 * builds a seeded population of about `n` identities with the harness's own generator, then the
 * in-memory identities the way the harness holds them, from JSON.parse'd registration and token
 * responses as real provisioning would receive them. ΔRSS / identity after GC (--expose-gc), twice:
 *   cold: right after provisioning;
 *   warm: after every identity signed two DPoP proofs (what a run does; OpenSSL keeps ~0.8 KB more
 *         per key once it has signed with it, so cold numbers flatter).
 * Variants:
 *   provisioned: the end of provisioning today: population + ProvisionedIdentity (+ byRef) + RunIdentity view
 *   run:         the load phase today: only RunIdentity[] (+ principals) survive provisionPhase
 *   lean:        one LeanIdentity object per identity (bench/lib/lean-identity.ts), population dropped
 *   key-only:    just the private KeyObjects (the floor a node:crypto signer cannot go below)
 */
import type { KeyObject } from 'node:crypto'
import { buildPopulation } from '../../harness/population/generate.ts'
import { createDpopProof } from '../../harness/protocol/dpop-proof.ts'
import { generateIdentityKey } from '../../harness/protocol/identity-key.ts'
import { childMain } from '../lib/child.ts'

import { HTU, leanIdentities, nodesOf, provisionedToday, runView } from '../lib/identity-builders.ts'

type Variant = 'provisioned' | 'run' | 'lean' | 'key-only'
interface Params {
  n: number
  variant: Variant
  /** DPoP proofs signed per identity before the warm measurement */
  passes: number
}

declare const gc: () => void

async function settle(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((r) => setImmediate(r))
  }
  return process.memoryUsage()
}

interface Built {
  keep: unknown
  count: number
  /** one DPoP proof per identity, the way the hot path signs (no per-identity objects kept for it) */
  signAll(): void
}

const proof = (key: { privateKey: KeyObject; dpopHeaderB64: string }, ath: string) => createDpopProof(key, { htm: 'GET', htu: HTU, ath })

/**
 * Builds what the variant keeps and returns only that (plus how to sign with each identity). Sync
 * and separate, so no transient (the population, ProvisionedIdentity…) stays reachable from the
 * async caller's frame when the variant says it is dropped.
 */
function build(n: number, variant: Variant): Built {
  // About n identities: agents + 2 sub-agents each (agents with a single scope stay leaves).
  const pop = buildPopulation({ tenants: 20, agents: Math.max(1, Math.round(n / 2.6)), subAgentsPerAgent: 2, depth: 2 }, 7)
  const count = pop.agents.length + pop.subAgents.length
  if (variant === 'key-only') {
    const dpopHeaderB64 = generateIdentityKey().dpopHeaderB64
    const keys = nodesOf(pop).map(() => generateIdentityKey().privateKey)
    return { keep: keys, count, signAll: () => keys.forEach((privateKey) => proof({ privateKey, dpopHeaderB64 }, 'x'.repeat(43))) }
  }
  if (variant === 'lean') {
    const lean = leanIdentities(pop)
    return { keep: { lean, principals: pop.principals }, count, signAll: () => lean.identities.forEach((i) => proof(i, i.tokenHash)) }
  }
  const prov = provisionedToday(pop)
  const view = runView(prov.identities)
  const signAll = () => view.forEach((i) => proof(i.credential.key, i.credential.tokenHash))
  // provisioned: everything provisioning holds at its end; run: what provisionPhase hands on.
  return { keep: variant === 'provisioned' ? { pop, prov, view } : { view, principals: pop.principals }, count, signAll }
}

await childMain<Params, unknown>(async ({ n, variant, passes }) => {
  // Everything loaded and OpenSSL initialised before the baseline: sign with a few throwaway keys.
  for (let i = 0; i < 200; i++) createDpopProof(generateIdentityKey(), { htm: 'GET', htu: HTU, ath: 'x' })
  const base = await settle()
  const t0 = performance.now()
  let built: Built | null = build(n, variant)
  const count = built.count
  const buildMs = performance.now() - t0
  const cold = await settle()

  // A run signs with every identity; `passes` proofs each, timed (keys touched in turn: cache-cold).
  const cpu0 = process.cpuUsage()
  for (let pass = 0; pass < passes; pass++) built.signAll()
  const cpu = process.cpuUsage(cpu0)
  const warm = await settle()
  const per = (m: NodeJS.MemoryUsage, k: keyof NodeJS.MemoryUsage) => (m[k] - base[k]) / count
  const result = {
    variant,
    requested: n,
    identities: count,
    buildMs: Math.round(buildMs),
    proofCpuUs: (cpu.user + cpu.system) / (passes * count),
    signPasses: passes,
    cold: { rssPerIdentity: per(cold, 'rss'), heapPerIdentity: per(cold, 'heapUsed'), externalPerIdentity: per(cold, 'external') },
    warm: { rssPerIdentity: per(warm, 'rss'), heapPerIdentity: per(warm, 'heapUsed'), externalPerIdentity: per(warm, 'external') },
    baseRssMb: base.rss / 2 ** 20,
  }
  // What the variant keeps must stay reachable until after the last measurement.
  if (built.keep === undefined) throw new Error('unreachable')
  built = null
  return result
})
