/**
 * docs/architecture.md "Determinism and identities": the seed fixes the population's structure and the
 * workflow and attack schedule whatever the number of workers; keys stay random. The same small
 * scenario runs with 1, 2 and 3 workers (concurrently, each against its own reference target) and
 * the runs are compared attempt by attempt through the run store.
 */
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { beforeAll, describe, expect, it } from 'vitest'
import type { AttemptRecord } from '../../harness/contracts/attempt.ts'
import { runCli, scratchDir, writeScenario, type CliResult } from '../helpers/cli.ts'

const SCENARIO = `import { defineScenario } from 'gatecrash'
export default defineScenario({
  name: 'workers-determinism',
  seed: 4242,
  population: { tenants: 3, agents: 40, subAgentsPerAgent: 1, depth: 2 },
  scenarios: {
    arrivals: { executor: 'constant-arrival-rate', rate: 40, timeUnit: '1s', duration: '2s', preAllocatedVUs: 40 },
    batch: { executor: 'shared-iterations', vus: 4, iterations: 40, maxDuration: '30s' },
  },
  // escalate.subagent-passthrough's material crosses to the workers; unattributed.anon-exchange's
  // (it holds the workforce IdP) cannot, so the main thread fires it for them
  attacks: { share: 0.3, cases: ['replay.dpop-jti-reuse', 'escalate.subagent-passthrough', 'unattributed.anon-exchange'] },
  evidence: { settle: '1s' },
})
`

interface Observed {
  cli: CliResult
  attempts: AttemptRecord[]
  /** trace id → the key thumbprint the target recorded */
  jktByTrace: Map<string, string>
}

function readStore(runDir: string): Pick<Observed, 'attempts' | 'jktByTrace'> {
  const db = new DatabaseSync(path.join(runDir, 'run.db'), { readOnly: true })
  try {
    const attempts = (db.prepare('SELECT json FROM attempts').all() as { json: string }[]).map((r) => JSON.parse(r.json) as AttemptRecord)
    const jktByTrace = new Map<string, string>()
    for (const { json } of db.prepare('SELECT json FROM evidence').all() as { json: string }[]) {
      const e = JSON.parse(json) as { key?: { jkt?: string | null }; correlation?: { trace_id?: string | null } }
      if (e.correlation?.trace_id && e.key?.jkt) jktByTrace.set(e.correlation.trace_id, e.key.jkt)
    }
    return { attempts, jktByTrace }
  } finally {
    db.close()
  }
}

/** (scenario, iteration, identity, kind, case) → how many attempts carried it */
function schedule(attempts: readonly AttemptRecord[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const a of attempts) {
    const k = `${a.scenario}|${a.iteration}|${a.identity}|${a.kind}|${a.case ?? ''}`
    out.set(k, (out.get(k) ?? 0) + 1)
  }
  return out
}

/**
 * Each identity ref with its tenant, principal and actor chain as refs (client ids are the
 * target's, refs are seeded). A parent never seen in legitimate traffic reads `?`; the set of those
 * is the same in every run since the schedule is.
 */
function structure(attempts: readonly AttemptRecord[]): Map<string, string> {
  const legit = attempts.filter((a) => a.kind === 'legit')
  const refOf = new Map(legit.map((a) => [a.expected.client_id!, a.identity!]))
  return new Map(legit.map((a) => [a.identity!, `${a.expected.tenant}|${a.expected.principal.sub}|${a.expected.actors.map((c) => refOf.get(c) ?? '?').join('>')}`]))
}

function jktByRef(o: Observed): Map<string, string> {
  const out = new Map<string, string>()
  for (const a of o.attempts) {
    const jkt = a.kind === 'legit' ? o.jktByTrace.get(a.trace_id) : undefined
    if (jkt) out.set(a.identity!, jkt)
  }
  return out
}

const runs = new Map<number, Observed>()

beforeAll(async () => {
  const dir = await scratchDir()
  const file = await writeScenario(dir, 'workers.ts', SCENARIO)
  // Concurrently, to keep the file fast: each run has its own target, the schedule does not depend on timing.
  await Promise.all(
    [1, 2, 3].map(async (w) => {
      const out = path.join(dir, `w${w}`)
      const cli = await runCli(['run', file, '--target', 'reference', '--workers', String(w), '--out', out], { outDir: out })
      const entries = await readdir(out)
      runs.set(w, { cli, ...readStore(path.join(out, entries.sort().at(-1)!)) })
    }),
  )
})

describe('workers: the same seed gives the same run whatever the number of workers', () => {
  it('every run is ready and drops nothing', () => {
    for (const [w, o] of runs) {
      expect(o.cli.code, `workers ${w}: ${o.cli.stderr}`).toBe(0)
      expect(o.cli.runJson.verdict).toBe('ready')
      const byName = Object.fromEntries(o.cli.runJson.load.scenarios.map((s: any) => [s.name, s]))
      expect(byName.arrivals.iterations, `workers ${w}`).toBe(80)
      expect(byName.arrivals.dropped_iterations, `workers ${w}`).toBe(0)
      expect(byName.batch.iterations, `workers ${w}`).toBe(40)
      expect(o.attempts.every((a) => Number.isInteger(a.iteration) && typeof a.identity === 'string')).toBe(true)
      // attempt seqs stay unique when several threads send
      expect(new Set(o.attempts.map((a) => a.seq)).size).toBe(o.attempts.length)
    }
    expect(runs.get(2)!.cli.stderr).toMatch(/worker 2\/2: warm-up/)
    expect(runs.get(3)!.cli.stderr).toMatch(/unattributed\.anon-exchange: fired from the main thread/)
  })

  it('the population structure is identical', () => {
    const one = runs.get(1)!
    expect(one.cli.runJson.population).toEqual(runs.get(2)!.cli.runJson.population)
    expect(one.cli.runJson.population).toEqual(runs.get(3)!.cli.runJson.population)
    const s1 = structure(one.attempts)
    expect(s1.size).toBeGreaterThan(40)
    for (const w of [2, 3]) {
      const sw = structure(runs.get(w)!.attempts)
      for (const [ref, shape] of sw) if (s1.has(ref)) expect(shape, `workers ${w}: ${ref}`).toBe(s1.get(ref))
    }
  })

  it('the multiset of (scenario, iteration, identity, kind, case) is identical', () => {
    const one = schedule(runs.get(1)!.attempts)
    expect([...one.keys()].some((k) => k.includes('|attack|unattributed.anon-exchange'))).toBe(true)
    expect([...one.keys()].some((k) => k.includes('|attack|escalate.subagent-passthrough'))).toBe(true)
    for (const w of [2, 3]) expect(Object.fromEntries(schedule(runs.get(w)!.attempts)), `workers ${w}`).toEqual(Object.fromEntries(one))
  })

  it('keys are random: the same identity has a different key in every run', () => {
    const [k1, k2, k3] = [1, 2, 3].map((w) => jktByRef(runs.get(w)!))
    const common = [...k1.keys()].filter((ref) => k2.has(ref) && k3.has(ref))
    expect(common.length).toBeGreaterThan(10)
    for (const ref of common) {
      expect(k2.get(ref), ref).not.toBe(k1.get(ref))
      expect(k3.get(ref), ref).not.toBe(k1.get(ref))
    }
  })
})
