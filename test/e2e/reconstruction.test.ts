/**
 * "Every action can be reconstructed from the audit trail", end to end on the reference target: a
 * short run rebuilds a seeded sample of legitimate transactions (agents and sub-agents) from the
 * target's records alone and the `gatecrash_reconstruction` gate holds; with flaw
 * `evidence-exchange-unlinked` (the AS's exchange records name the subject token where the issued
 * one belongs, and no parent) every case still passes, but no transaction can be traced back to its
 * principal: exit 99 on that gate alone, each mismatch naming the broken link. `gatecrash trace`
 * prints one transaction of each run, and refuses a trace id the run never sent.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { RUN_FILES } from '../../harness/run/run-dir.ts'
import { runCli, scratchDir, shortScenario, writeScenario, type CliResult } from '../helpers/cli.ts'

const GATE = 'gatecrash_reconstruction'
const HASH = /^[A-Za-z0-9_-]{43}$/

async function run(name: string, flags: string[] = []): Promise<CliResult> {
  const dir = await scratchDir()
  const file = await writeScenario(dir, `${name}.ts`, shortScenario())
  const out = path.join(dir, 'out')
  return runCli(['run', file, '--target', 'reference', ...flags, '--out', out], { outDir: out })
}

const why = (r: CliResult): string => `${r.stderr.slice(-3000)}\ngates: ${JSON.stringify(r.runJson?.gates?.filter((g: any) => !g.ok))}`

describe('transactions rebuilt from the reference target\'s records alone', () => {
  let correct: CliResult
  let unlinked: CliResult
  beforeAll(async () => {
    // one after the other: two runs at once on a shared 2-core machine would measure each other
    correct = await run('reconstruction-correct')
    unlinked = await run('reconstruction-unlinked', ['--flaw', 'evidence-exchange-unlinked'])
  }, 240_000)

  it('correct target: every sampled transaction rebuilt to its principal through the exchanges, as the harness acted; the gate holds', async () => {
    expect(correct.code, why(correct)).toBe(0)
    const rec = correct.runJson.reconstruction
    expect(rec.not_covered).toBeUndefined()
    expect(rec).toMatchObject({ legit: 20, attacks: 0, sampled: 20, rebuilt: 20, matched: 20 })
    expect(correct.runJson.gates.find((g: any) => g.metric === GATE)).toMatchObject({ expression: 'rate==1', ok: true, observed: 1, source: 'default' })
    expect(correct.runJson.metrics[GATE]).toMatchObject({ rate: 1, passes: 20, fails: 0 })
    // agents and sub-agents at depth 2 alike
    const depths = rec.transactions.map((t: any) => t.hops.length)
    expect(depths).toContain(1)
    expect(depths).toContain(2)
    for (const t of rec.transactions) {
      expect(t.matched, t.mismatch).toBe(true)
      expect(t.rebuilt).toEqual({ principal: t.harness.principal, actors: t.harness.actors })
      // the links: the call's token is the last hop's issued token; each hop's subject is the one before's
      expect(t.call.token_hash).toBe(t.harness.token_hash)
      expect(t.hops.at(-1).token_hash).toBe(t.call.token_hash)
      for (let i = 1; i < t.hops.length; i++) expect(t.hops[i].parent_token_hash).toBe(t.hops[i - 1].token_hash)
      expect(t.root_token_hash).toBe(t.hops[0].parent_token_hash)
      for (const h of [t.root_token_hash, ...t.hops.flatMap((h: any) => [h.token_hash, h.parent_token_hash])]) expect(h).toMatch(HASH)
      expect(t.hops.map((h: any) => h.client_id).reverse()).toEqual(t.harness.actors)
    }
    const md = await readFile(path.join(correct.runDir!, RUN_FILES.report), 'utf8')
    expect(md).toContain('## Reconstructed transactions')
    expect(md).toContain('20 transactions rebuilt from the target\'s records alone (20 legitimate, sampled by seed; 0 failing attack attempts): 20 followed to the principal\'s own token, 20 naming the principal and actors the harness used.')
  })

  it('--flaw evidence-exchange-unlinked: exit 99 on the reconstruction gate alone, every transaction\'s mismatch naming the missing link', async () => {
    expect(unlinked.code, why(unlinked)).toBe(99)
    const failed = unlinked.runJson.gates.filter((g: any) => !g.ok)
    expect(failed.map((g: any) => g.metric), why(unlinked)).toEqual([GATE])
    expect(failed[0]).toMatchObject({ expression: 'rate==1', observed: 0, detail: expect.stringMatching(/^20 of 20 transactions not rebuilt from evidence; trace [0-9a-f]{32} \(legit\): /) })
    expect(unlinked.runJson.metrics[GATE]).toMatchObject({ rate: 0, passes: 0, fails: 20 })
    // nothing else sees it: every case held and every call was recorded
    for (const c of unlinked.runJson.cases) expect(c.verdict, c.id).toBe('pass')
    const rec = unlinked.runJson.reconstruction
    expect(rec).toMatchObject({ legit: 20, sampled: 20, matched: 0 })
    for (const t of rec.transactions) {
      expect(t.matched).toBe(false)
      expect(t.rebuilt).toBeNull()
      expect(t.mismatch).toMatch(/no exchange record issued token [A-Za-z0-9_-]{43} \(none has it as correlation\.token_hash\)|exchange record ev_\S+ names no subject token \(correlation\.parent_token_hash\)/)
    }
    expect(unlinked.stdout).toContain(`✗ ${GATE} rate==1`)
  })

  it('gatecrash trace: a transaction\'s chain from the records beside the harness\'s, exit 0 when they agree and 99 when a link is missing', async () => {
    const ok = correct.runJson.reconstruction.transactions.find((t: any) => t.hops.length === 2)
    const r = await runCli(['trace', correct.runDir!, ok.trace_id])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`trace ${ok.trace_id}`)
    expect(r.stdout).toContain(`as ${[ok.harness.principal, ...[...ok.harness.actors].reverse()].join(' → ')}`)
    for (const h of ok.hops) expect(r.stdout).toContain(`exchange ${h.record_id} by ${h.client_id}: allow, issued ${h.token_hash} for subject ${h.parent_token_hash}`)
    expect(r.stdout).toContain(`call ${ok.call.record_id} at ${ok.call.component}: ${ok.call.tool} allow ok (200)`)
    expect(r.stdout).toContain('the trail names who acted on whose behalf, as the harness did')
    const json = await runCli(['trace', correct.runDir!, ok.trace_id, '--json'])
    expect(JSON.parse(json.stdout)).toEqual(ok)

    const bad = unlinked.runJson.reconstruction.transactions[0]
    const broken = await runCli(['trace', unlinked.runDir!, bad.trace_id])
    expect(broken.code).toBe(99)
    expect(broken.stdout).toContain(`MISMATCH: ${bad.mismatch}`)
  }, 60_000)

  it('gatecrash trace with a trace id the run never sent: exit 104, ERR_TRACE_UNKNOWN and where trace ids are', async () => {
    const r = await runCli(['trace', correct.runDir!, '0123456789abcdef0123456789abcdef'])
    expect(r.code).toBe(104)
    expect(r.stderr).toMatch(/^error ERR_TRACE_UNKNOWN: no attempt of the run in .* carried trace id 0123456789abcdef0123456789abcdef/)
    expect(r.stderr).toContain('hint: trace ids are in attempts.csv (column trace_id) and in run.json')
    expect(r.stdout).toBe('')
  }, 30_000)
})
