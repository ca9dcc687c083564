/**
 * Open-model runs against the trivial server with the harness's executor and hot path:
 *   search:   the top rate (highest arrival rate whose achieved rate is within tolerance of target);
 *   accuracy: one measured probe at a given rate (achieved/target, scheduling lag p99).
 * A short closed-loop warm-up comes first in either mode (JIT, connections).
 */
import { HttpPools } from '../../harness/load/http-pool.ts'
import { childMain } from '../lib/child.ts'
import { attemptFn, benchIdentities, closedLoop, trivialResource } from '../lib/fixtures.ts'
import { probe, searchTopRate, type ProbeOptions, type SearchOptions } from '../lib/open-model.ts'

type Params =
  | ({ mode: 'search'; origin: string; identities: number } & SearchOptions)
  | ({ mode: 'accuracy'; origin: string; identities: number; rate: number } & ProbeOptions)

await childMain<Params, unknown>(async (p) => {
  const rs = trivialResource(p.origin)
  const pools = new HttpPools(p.maxVUs)
  const attempt = attemptFn(pools, rs, benchIdentities(p.identities, rs))
  await closedLoop(attempt, 32, Date.now() + 500, { done: 0, ok: 0 })
  try {
    return p.mode === 'search' ? await searchTopRate(attempt, p) : await probe(attempt, p.rate, p)
  } finally {
    await pools.close()
  }
})
