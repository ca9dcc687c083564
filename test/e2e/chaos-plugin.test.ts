/**
 * A fault injector plugin declared in the scenario (`injectors`) runs a `Fault.custom` window:
 * injected at its time, healed at the end of it, shown in run.json like a built-in fault.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { expect, it } from 'vitest'
import { runCli, scratchDir, writeScenario } from '../helpers/cli.ts'

it('Fault.custom: the scenario plugin is injected and healed in its window, and the run grades it', async () => {
  const dir = await scratchDir()
  const marks = path.join(dir, 'plugin.log')
  const scenario = await writeScenario(
    dir,
    'plugin.ts',
    `import { appendFileSync } from 'node:fs'
import { defineScenario, Fault, type FaultInjector } from 'gatecrash'
const marker: FaultInjector = {
  name: 'marker',
  kinds: ['custom'],
  async inject(spec, ctx) {
    appendFileSync(${JSON.stringify(marks)}, 'inject ' + spec.component + ' ' + JSON.stringify(spec.kind === 'custom' ? spec.params : null) + ' ' + ctx.target.name + '\\n')
    return { detail: 'marker on ' + spec.component, heal: async () => appendFileSync(${JSON.stringify(marks)}, 'heal\\n') }
  },
}
export default defineScenario({
  name: 'e2e-plugin',
  seed: 5,
  population: { tenants: 2, agents: 8 },
  scenarios: { workload: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '3s', preAllocatedVUs: 8 } },
  faults: [Fault.custom({ injector: 'marker', component: 'as', params: { level: 2 }, at: '1s', for: '1s' })],
  injectors: [marker],
  evidence: { settle: '1s' },
})
`,
  )
  const out = path.join(dir, 'out')
  const r = await runCli(['run', scenario, '--target', 'reference', '--out', out], { outDir: out })
  expect(r.code, r.stderr).toBe(0)
  expect(await readFile(marks, 'utf8')).toBe('inject as {"level":2} reference\nheal\n')
  const [f] = r.runJson.faults
  expect([f.label, f.detail, f.healed, f.error]).toEqual(['custom as 1s–2s', 'marker on as', true, null])
  expect(r.runJson.gates.filter((g: any) => g.window === 'custom as 1s–2s').map((g: any) => [g.metric, g.ok])).toEqual([
    ['gatecrash_breaches{fault:custom as 1s–2s}', true],
    ['gatecrash_evidence_complete{fault:custom as 1s–2s}', true],
  ])
}, 90_000)
