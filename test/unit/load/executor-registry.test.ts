import { describe, expect, it } from 'vitest'
import { describeExecutor, EXECUTOR_NAMES, executorMaxVUs, runExecutor } from '../../../harness/load/executors/index.ts'
import { EXECUTOR_SCHEMAS } from '../../../harness/scenario/schema.ts'
import type { ExecutorConfig } from '../../../harness/load/executors/config.ts'

const never = new AbortController().signal

// one small configuration per k6 executor, with the iterations each must start
const SMALL: [ExecutorConfig, number][] = [
  [{ executor: 'constant-arrival-rate', rate: 50, duration: '100ms', preAllocatedVUs: 2, maxVUs: 4 }, 5],
  [{ executor: 'ramping-arrival-rate', startRate: 0, stages: [{ duration: '200ms', target: 100 }], preAllocatedVUs: 3 }, 10],
  [{ executor: 'per-vu-iterations', vus: 3, iterations: 4 }, 12],
  [{ executor: 'shared-iterations', vus: 3, iterations: 7 }, 7],
]

describe('executor registry: dispatch by k6 executor name', () => {
  it('knows the six k6 executors, the same six the scenario schema accepts', () => {
    expect([...EXECUTOR_NAMES].sort()).toEqual(Object.keys(EXECUTOR_SCHEMAS).sort())
    expect(EXECUTOR_NAMES).toHaveLength(6)
  })

  it.each(SMALL)('$executor runs through runExecutor with unique iteration numbers', async (cfg, expected) => {
    const seen = new Set<number>()
    const stats = await runExecutor(cfg, async (ctx) => void seen.add(ctx.iteration), never)
    expect(stats.iterations).toBe(expected)
    expect(seen.size).toBe(expected)
    expect(stats.dropped).toBe(0)
  })

  it('the duration-based closed executors dispatch too (constant-vus, ramping-vus)', async () => {
    for (const cfg of [
      { executor: 'constant-vus', vus: 2, duration: '50ms' },
      { executor: 'ramping-vus', startVUs: 1, stages: [{ duration: '50ms', target: 2 }] },
    ] as ExecutorConfig[]) {
      const seen: number[] = []
      const stats = await runExecutor(cfg, async (ctx) => void seen.push(ctx.iteration), never)
      expect(stats.iterations).toBe(seen.length)
      expect(new Set(seen).size).toBe(seen.length)
    }
  })

  it('maxVUs sizes the connection pools from each executor\'s own options and k6 defaults', () => {
    expect(executorMaxVUs({ executor: 'constant-arrival-rate', rate: 1, duration: '1s', preAllocatedVUs: 5 })).toBe(5)
    expect(executorMaxVUs({ executor: 'ramping-arrival-rate', stages: [{ duration: '1s', target: 1 }], preAllocatedVUs: 5, maxVUs: 9 })).toBe(9)
    expect(executorMaxVUs({ executor: 'constant-vus', duration: '1s' })).toBe(1)
    expect(executorMaxVUs({ executor: 'ramping-vus', startVUs: 3, stages: [{ duration: '1s', target: 8 }, { duration: '1s', target: 0 }] })).toBe(8)
    expect(executorMaxVUs({ executor: 'per-vu-iterations', vus: 4 })).toBe(4)
    expect(executorMaxVUs({ executor: 'shared-iterations' })).toBe(1)
  })

  it('describe names the executor for the run log', () => {
    expect(describeExecutor({ executor: 'shared-iterations', vus: 2, iterations: 10 })).toBe('shared-iterations: 10 iterations shared by 2 VUs (maxDuration 10m)')
    expect(describeExecutor({ executor: 'ramping-arrival-rate', startRate: 0, stages: [{ duration: '1s', target: 10 }], preAllocatedVUs: 2 })).toBe(
      'ramping-arrival-rate: up to 10 iterations/1s over 1 stage(s), 5 in 1s (maxVUs 2)',
    )
  })
})
