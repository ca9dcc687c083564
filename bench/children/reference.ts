/**
 * The same open-model measurements against the reference target: started with its own adapter,
 * a small population provisioned through the harness's provisioning phase (registration + token
 * exchange per identity, real DPoP-bound tokens), warmed up with the harness's warm-up, then the
 * top-rate search and accuracy probes at fractions of it. The target's components are their own
 * processes; this child is only the client.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { readableTool } from '../../harness/attacks/types.ts'
import { HttpPools } from '../../harness/load/http-pool.ts'
import { provisionPhase } from '../../harness/run/provision-phase.ts'
import { warmUp } from '../../harness/run/measure/warm-up.ts'
import type { ScenarioConfig } from '../../harness/scenario/types.ts'
import { referenceTarget } from '../../targets/reference/adapter.ts'
import { childMain, median } from '../lib/child.ts'
import { attemptFn } from '../lib/fixtures.ts'
import { probe, searchTopRate, type ProbeResult, type SearchOptions } from '../lib/open-model.ts'

interface Params {
  agents: number
  search: SearchOptions
  fractions: number[]
  reps: number
  accuracyMs: number
  accuracyWarmMs: number
}

await childMain<Params, unknown>(async (p) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatecrash-bench-ref-'))
  const log: string[] = []
  const stop = new AbortController()
  const t0 = Date.now()
  const phase = await provisionPhase({
    config: { population: { tenants: 2, agents: p.agents, subAgentsPerAgent: 0, depth: 1 } } as ScenarioConfig,
    seed: 1,
    adapter: referenceTarget,
    flaws: [],
    dir,
    log: (l) => log.push(l),
    stop: stop.signal,
  })
  const setupMs = Date.now() - t0
  const pools = new HttpPools(p.search.maxVUs)
  try {
    const rs = phase.target.resources[0]
    const readers = phase.identities.filter((i) => readableTool(i, rs))
    if (readers.length === 0) throw new Error('no provisioned identity can read a tool')
    // Per identity its own readable tool, so every attempt is a legitimate, authorised call.
    const perIdentity = readers.map((identity) => attemptFn(pools, rs, [identity], {}, readableTool(identity, rs)))
    const attempt = (i: number, scheduledAt?: number, signal?: AbortSignal) => perIdentity[i % perIdentity.length](i, scheduledAt, signal)
    await warmUp({ identities: readers, rs, pools, log: (l) => log.push(l), requests: 400 })
    const search = await searchTopRate(attempt, p.search)
    const accuracy: { fraction: number; rate: number; runs: ProbeResult[] }[] = []
    for (const fraction of p.fractions) {
      const rate = Math.max(1, Math.round(search.topRate * fraction))
      const runs: ProbeResult[] = []
      for (let r = 0; r < p.reps; r++) runs.push(await probe(attempt, rate, { ...p.search, durationMs: p.accuracyMs, warmMs: p.accuracyWarmMs }))
      accuracy.push({ fraction, rate, runs })
    }
    const token = readers[0].credential.accessToken
    return {
      setupMs,
      identities: phase.identities.length,
      readers: readers.length,
      tokenChars: token.length,
      components: phase.target.components.map((c) => c.name),
      origin: rs.origin,
      search,
      accuracy,
      medianAccuracy: accuracy.map((a) => ({ fraction: a.fraction, accuracy: median(a.runs.map((r) => r.accuracy)) })),
      log: log.slice(-8),
    }
  } finally {
    await pools.close()
    await phase.target.stop().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
})
