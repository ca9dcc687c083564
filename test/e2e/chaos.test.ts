/**
 * Chaos, end to end (short versions; the full scenarios/chaos-*.ts run nightly): two fault families
 * — a network fault on the JWKS link and a process fault on the replay store — against the correct
 * reference target (exit 0, fault windows in run.json and the Markdown report) and against each fail-open flaw
 * (exit 99, the failing gate naming the fault window and the case that got through).
 */
import { RUN_FILES } from '../../harness/run/run-dir.ts'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCli, scratchDir, writeScenario, type CliResult } from '../helpers/cli.ts'

const SCENARIO = `import { defineScenario, Fault } from 'gatecrash'
export default defineScenario({
  name: 'e2e-chaos',
  seed: 11,
  population: { tenants: 3, agents: 24, subAgentsPerAgent: 1, depth: 2 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 30, timeUnit: '1s', duration: '9s', preAllocatedVUs: 32 },
  },
  attacks: { share: 0.4, cases: ['escalate.forged-jwt.unknown-kid', 'replay.dpop-jti-reuse', 'escalate.tool-scope'] },
  faults: [
    Fault.blackhole({ component: 'jwks', at: '1s', for: '2500ms', recoverWithin: '1s' }),
    Fault.pause({ component: 'replay-store', at: '5s', for: '2500ms', recoverWithin: '3s' }),
  ],
  thresholds: { 'gatecrash_warns{case:replay.dpop-jti-reuse,fault:no}': ['count==0'] },
  evidence: { settle: '1s' },
})
`
const JWKS = 'blackhole jwks 1s–3.5s'
const PAUSE = 'pause replay-store 5s–7.5s'

let dir: string
let scenario: string

beforeAll(async () => {
  dir = await scratchDir()
  scenario = await writeScenario(dir, 'chaos.ts', SCENARIO)
})

const run = (name: string, flaws: string[] = []): Promise<CliResult> => {
  const out = path.join(dir, name)
  return runCli(['run', scenario, '--target', 'reference', ...flaws.flatMap((f) => ['--flaw', f]), '--out', out], { outDir: out })
}

const failedGates = (r: CliResult) => r.runJson.gates.filter((g: any) => !g.ok)

describe('chaos: the boundary fails closed under faults', () => {
  it('correct target: exit 0, both windows injected and healed, no breach, evidence complete, report shows the windows', async () => {
    const r = await run('ok')
    expect(r.code, r.stderr).toBe(0)
    expect(r.runJson.verdict).toBe('ready')
    const faults = r.runJson.faults
    expect(faults.map((f: any) => [f.label, f.healed, f.error])).toEqual([[JWKS, true, null], [PAUSE, true, null]])
    for (const f of faults) {
      expect(f.during.attempts, f.label).toBeGreaterThan(20)
      expect(f.during.breaches, f.label).toBe(0)
      expect(f.during.unrecorded, f.label).toBe(0)
      expect(f.during.block_rate, f.label).toBe(1)
      expect(f.ttr_s, f.label).not.toBeNull()
    }
    // while paused, the replay store could not vouch for any proof: legitimate calls were refused (fail closed)
    expect(faults[1].during.legit_success).toBeLessThan(0.5)
    const chaosGates = r.runJson.gates.filter((g: any) => g.window)
    expect(chaosGates.map((g: any) => [g.metric, g.ok])).toEqual([
      [`gatecrash_breaches{fault:${JWKS}}`, true],
      [`gatecrash_evidence_complete{fault:${JWKS}}`, true],
      [`gatecrash_time_to_recover{fault:${JWKS}}`, true],
      [`gatecrash_breaches{fault:${PAUSE}}`, true],
      [`gatecrash_evidence_complete{fault:${PAUSE}}`, true],
      [`gatecrash_time_to_recover{fault:${PAUSE}}`, true],
    ])
    expect(r.runJson.timeline.length).toBeGreaterThanOrEqual(9)
    expect(r.runJson.timeline.filter((b: any) => b.faults.includes('f2')).length).toBeGreaterThanOrEqual(2)
    const md = await readFile(path.join(r.runDir!, RUN_FILES.report), 'utf8')
    expect(md).toContain('## Faults')
    expect(md).toContain(`\`f1\` ${JWKS}`)
    expect(md).toContain(`\`f2\` ${PAUSE}`)
    expect(md).toMatch(/f2 pause +[·█]+/)
    expect(r.stderr).toContain(`fault f2 ${PAUSE}: healed`)
  })

  it('fail-open flaws: exit 99, the failing gate names the fault window and the case that got through', async () => {
    const [jwks, replay] = await Promise.all([run('jwks-fail-open', ['jwks-fail-open']), run('replay-store-fail-open', ['replay-store-fail-open'])])

    expect(jwks.code, jwks.stderr).toBe(99)
    const j = failedGates(jwks).find((g: any) => g.window === JWKS)
    expect(j).toMatchObject({ metric: `gatecrash_breaches{fault:${JWKS}}`, cases: ['escalate.forged-jwt.unknown-kid'] })
    expect(jwks.stdout).toContain(`gatecrash_breaches{fault:${JWKS}}`)
    expect(jwks.stdout).toContain('escalate.forged-jwt.unknown-kid')
    expect(failedGates(jwks).some((g: any) => g.window === PAUSE)).toBe(false)

    expect(replay.code, replay.stderr).toBe(99)
    const p = failedGates(replay).find((g: any) => g.window === PAUSE)
    expect(p).toMatchObject({ metric: `gatecrash_breaches{fault:${PAUSE}}`, cases: ['replay.dpop-jti-reuse'] })
    expect(p.detail).toMatch(/failed open: \d+ attack\(s\) accepted during pause replay-store 5s–7\.5s/)
    expect(replay.stdout).toContain(`gatecrash_breaches{fault:${PAUSE}}`)
    expect(failedGates(replay).some((g: any) => g.window === JWKS)).toBe(false)
  })
})
