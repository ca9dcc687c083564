/**
 * Harness memory per identity (agent or sub-agent, with its key, registration and current token):
 * builds a seeded population of about `n` identities with the harness's own generator, then the
 * identities with the harness's own constructors (lib/identity-builders.ts), from JSON.parse'd
 * registration and token responses as real provisioning receives them. ΔRSS / identity after GC
 * (--expose-gc), twice:
 *   cold: right after provisioning;
 *   warm: after every identity signed `passes` DPoP proofs, in turn (what a run does; with more
 *         identities than the key cache holds, most signatures miss and sign from the JWK).
 * Variants:
 *   run:      what the load phase holds: the ProvisionedIdentity objects (each is the run's
 *             RunIdentity, with its compact key, registration and token) + the principals; the key
 *             cache (identity-key.ts) at its configured size;
 *   key-only: just n private KeyObjects, all live (what one KeyObject per identity costs).
 */
import type { KeyObject } from 'node:crypto'
import { buildPopulation } from '../../harness/population/generate.ts'
import { createDpopProof } from '../../harness/protocol/dpop-proof.ts'
import { DEFAULT_KEY_CACHE_SIZE, clearKeyCache, generateIdentityKey, keyCacheStats, resetKeyCacheStats, setKeyCacheSize, type KeyCacheStats } from '../../harness/protocol/identity-key.ts'
import { childMain } from '../lib/child.ts'
import { HTU, nodesOf, provisioned } from '../lib/identity-builders.ts'
import { scopeSetOf } from '../../harness/population/spec.ts'

/** the reference workload's tool scopes: the shapes the memory figures were always measured on */
const BENCH_SCOPES = scopeSetOf([{ scope: 'tickets:read' }, { scope: 'customers:read' }, { scope: 'refunds:write', writes: true }])

type Variant = 'run' | 'key-only'
interface Params {
  n: number
  variant: Variant
  /** DPoP proofs signed per identity before the warm measurement */
  passes: number
  /** key cache capacity; the harness default when absent */
  keyCache?: number
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
  signAll(): Promise<void>
}

/**
 * Calls `sign` for each item, yielding to the event loop every 32: in a run every attempt is its
 * own task, and V8 keeps every object a WeakRef was made for or dereferenced to alive until the
 * current task ends (identity-key.ts makes one per evicted KeyObject), so one synchronous loop over
 * 100k identities would pin all their KeyObjects at once, which no run does.
 */
async function inTasks<T>(items: readonly T[], sign: (item: T) => unknown): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    sign(items[i])
    if (i % 32 === 31) await new Promise((r) => setImmediate(r))
  }
}

const proof = (key: { privateKey: KeyObject; dpopHeaderB64: string }, ath: string) => createDpopProof(key, { htm: 'GET', htu: HTU, ath })

/**
 * Builds what the variant keeps and returns only that (plus how to sign with each identity). Sync
 * and separate, so no transient (the population, the byRef map…) stays reachable from the async
 * caller's frame.
 */
function build(n: number, variant: Variant): Built {
  // About n identities: agents + 2 sub-agents each (agents with a single scope stay leaves).
  const pop = buildPopulation({ tenants: 20, agents: Math.max(1, Math.round(n / 2.6)), subAgentsPerAgent: 2, depth: 2 }, 7, BENCH_SCOPES)
  const count = pop.agents.length + pop.subAgents.length
  if (variant === 'key-only') {
    const dpopHeaderB64 = generateIdentityKey().dpopHeaderB64
    const keys = nodesOf(pop).map(() => generateIdentityKey().privateKey)
    return { keep: keys, count, signAll: () => inTasks(keys, (privateKey) => proof({ privateKey, dpopHeaderB64 }, 'x'.repeat(43))) }
  }
  const { identities } = provisioned(pop)
  const signAll = () => inTasks(identities, (i) => proof(i.credential.key, i.credential.tokenHash))
  return { keep: { identities, principals: pop.principals }, count, signAll }
}

await childMain<Params, unknown>(async ({ n, variant, passes, keyCache }) => {
  // Everything loaded and OpenSSL initialised before the baseline: sign with a few throwaway keys.
  for (let i = 0; i < 200; i++) createDpopProof(generateIdentityKey(), { htm: 'GET', htu: HTU, ath: 'x' })
  // Then an empty cache, so the KeyObjects it holds at the end count against the identities.
  setKeyCacheSize(keyCache ?? DEFAULT_KEY_CACHE_SIZE)
  clearKeyCache()
  const base = await settle()
  const t0 = performance.now()
  let built: Built | null = build(n, variant)
  const count = built.count
  const buildMs = performance.now() - t0
  const cold = await settle()

  // A run signs with every identity; `passes` proofs each, timed (keys touched in turn: cache-cold).
  resetKeyCacheStats()
  const cpu0 = process.cpuUsage()
  for (let pass = 0; pass < passes; pass++) await built.signAll()
  const cpu = process.cpuUsage(cpu0)
  const cache: KeyCacheStats = keyCacheStats()
  const warm = await settle()
  const per = (m: NodeJS.MemoryUsage, k: keyof NodeJS.MemoryUsage) => (m[k] - base[k]) / count
  const result = {
    variant,
    requested: n,
    identities: count,
    buildMs: Math.round(buildMs),
    proofCpuUs: (cpu.user + cpu.system) / (passes * count),
    signPasses: passes,
    keyCache: cache,
    cold: { rssPerIdentity: per(cold, 'rss'), heapPerIdentity: per(cold, 'heapUsed'), externalPerIdentity: per(cold, 'external') },
    warm: { rssPerIdentity: per(warm, 'rss'), heapPerIdentity: per(warm, 'heapUsed'), externalPerIdentity: per(warm, 'external') },
    baseRssMb: base.rss / 2 ** 20,
  }
  // What the variant keeps must stay reachable until after the last measurement.
  if (built.keep === undefined) throw new Error('unreachable')
  built = null
  return result
})
