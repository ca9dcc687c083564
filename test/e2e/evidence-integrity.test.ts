/**
 * Evidence integrity decides the verdict: a target whose own evidence store changes under the run
 * (a record edited with or without its chain re-sealed, a record deleted, a tail cut off with the
 * head rolled back) ends NOT READY (exit 99) on the `gatecrash_evidence_integrity` gate (rate==1,
 * one sample per chain), whose detail names the tampered chain; run.json lists every chain in
 * `evidence.chains` and says `evidence.integrity: 'chained'`. Nothing else fails: the tamper must
 * not turn into lost evidence or refused traffic. The tampering goes through the reference target's
 * real store (test/helpers/tamper-evidence.ts, a fault injector plugin), or comes from its two
 * sink flaws. A correct target without the plugin passes the gate.
 */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, scratchDir, writeScenario, type CliResult } from '../helpers/cli.ts'
import { TAMPER_MODES, type TamperMode } from '../helpers/tamper-evidence.ts'

const GATE = 'gatecrash_evidence_integrity'
const PLUGIN = JSON.stringify(path.resolve('test/helpers/tamper-evidence.ts'))

/** A few agents at 20/s for 4 s with some refusals among them, settle 1 s; with `faults`, the plugin. */
function scenario(name: string, faults = ''): string {
  const plugin = faults === '' ? '' : `import { tamperEvidence } from ${PLUGIN}\n`
  return `import { defineScenario, Fault } from 'gatecrash'
${plugin}export default defineScenario({
  name: '${name}',
  seed: 11,
  population: { tenants: 2, agents: 8, subAgentsPerAgent: 1, depth: 2 },
  scenarios: { workload: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '4s', preAllocatedVUs: 8 } },
  attacks: { share: 0.2, cases: ['escalate.tool-scope', 'unattributed.no-credential'] },
  faults: [${faults}],${faults === '' ? '' : '\n  injectors: [tamperEvidence],'}
  evidence: { settle: '1s' },
})
`
}

async function run(name: string, faults: string, flags: string[] = []): Promise<CliResult> {
  const dir = await scratchDir()
  const file = await writeScenario(dir, `${name}.ts`, scenario(name, faults))
  const out = path.join(dir, 'out')
  return runCli(['run', file, '--target', 'reference', ...flags, '--out', out], { outDir: out })
}

/** Not ready on the integrity gate alone, its detail naming `component`'s chain. */
function failsIntegrityOn(r: CliResult, component: string): void {
  const summary = `${r.stderr.slice(-3000)}\ngates: ${JSON.stringify(r.runJson?.gates?.filter((g: any) => !g.ok))}`
  expect(r.code, summary).toBe(99)
  expect(r.runJson.verdict).toBe('not-ready')
  const failed = r.runJson.gates.filter((g: any) => !g.ok)
  expect(failed.map((g: any) => g.metric), summary).toContain(GATE)
  // nothing else: the tamper must not show up as lost evidence, refused traffic or a breach
  for (const g of failed) expect(g.metric, summary).toMatch(new RegExp(`^${GATE}(\\{|$)`))
  const gate = failed.find((g: any) => g.metric === GATE)
  expect(gate.expression).toBe('rate==1')
  expect(gate.detail).toContain(`chain ${component}`)
  expect(r.runJson.evidence.integrity).toBe('chained')
  expect(r.runJson.evidence.chains.find((c: any) => c.component === component), JSON.stringify(r.runJson.evidence.chains)).toMatchObject({ ok: false, problem: expect.any(String) })
  expect(r.stdout).toContain(GATE)
}

describe('tamper-evidence plugin: the reference target\'s own store tampered with mid-run', () => {
  it.each(TAMPER_MODES.map((m) => [m]))('%s → exit 99 on gatecrash_evidence_integrity, naming the tampered chain', async (mode: TamperMode) => {
    const r = await run(`integrity-${mode}`, `Fault.custom({ injector: 'tamper-evidence', component: 'evidence-sink', params: { mode: '${mode}' }, at: '2s', for: '1s' })`)
    // the plugin did what it says, on the target's store, before the verdict is looked at
    const [fault] = r.runJson?.faults ?? []
    expect(fault, r.stderr.slice(-3000)).toMatchObject({ label: 'custom evidence-sink 2s–3s', healed: true, error: null })
    const chain = new RegExp(`^${mode} on chain (\\S+):`).exec(fault.detail)?.[1]
    expect(chain, fault.detail).toBeDefined()
    failsIntegrityOn(r, chain!)
  }, 120_000)

  it('correct target, plugin absent → exit 0, the integrity gate holds on every chain', async () => {
    const r = await run('integrity-correct', '')
    expect(r.code, r.stderr.slice(-3000)).toBe(0)
    expect(r.runJson.verdict).toBe('ready')
    const gate = r.runJson.gates.find((g: any) => g.metric === GATE)
    expect(gate, JSON.stringify(r.runJson.gates.map((g: any) => g.metric))).toMatchObject({ expression: 'rate==1', ok: true, observed: 1, source: 'default' })
    expect(r.runJson.evidence.integrity).toBe('chained')
    expect(r.runJson.evidence.chains.length).toBeGreaterThan(0)
    for (const c of r.runJson.evidence.chains) expect(c, c.component).toMatchObject({ ok: true, problem: null })
  }, 120_000)
})

describe('sink flaws caught only by the integrity gate', () => {
  it('--flaw evidence-tail-truncated → exit 99 on gatecrash_evidence_integrity: the AS chain, idle while the load runs, loses its tail and its head rolls back', async () => {
    const r = await run('integrity-flaw-truncated', '', ['--flaw', 'evidence-tail-truncated'])
    expect(r.runJson?.target?.flaws).toEqual(['evidence-tail-truncated'])
    failsIntegrityOn(r, 'as')
  }, 120_000)

  it('--flaw evidence-history-rewritten → exit 99 on gatecrash_evidence_integrity: a refusal read 2 s earlier is rewritten into an allow and its chain re-sealed', async () => {
    const r = await run('integrity-flaw-rewritten', '', ['--flaw', 'evidence-history-rewritten'])
    expect(r.runJson?.target?.flaws).toEqual(['evidence-history-rewritten'])
    expect(r.code, r.stderr.slice(-3000)).toBe(99)
    const gate = r.runJson.gates.find((g: any) => g.metric === GATE)
    expect(gate).toMatchObject({ ok: false })
    // the chains that took refusals: the resource-server replicas
    const broken = r.runJson.evidence.chains.filter((c: any) => !c.ok).map((c: any) => c.component)
    expect(broken.length).toBeGreaterThan(0)
    for (const c of broken) expect(c).toMatch(/^rs-1\/\d+$/)
    failsIntegrityOn(r, broken[0])
  }, 120_000)
})
