/**
 * Run-to-run comparison end to end: a READY reference run as the baseline, then a run of the same
 * short scenario against a flawed target. `gatecrash diff` names the cases that got worse and exits
 * 122; `gatecrash run --baseline` writes the comparison into run.json and the report, and keeps
 * exit 99 for a run that is NOT READY on its own gates (122 only for a READY run worse than its
 * baseline).
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { RUN_FILES } from '../../harness/run/run-dir.ts'
import { runCli, scratchDir, shortScenario, writeScenario, type CliResult } from '../helpers/cli.ts'

let dir: string
let scenario: string
let ready: CliResult

beforeAll(async () => {
  dir = await scratchDir()
  scenario = await writeScenario(dir, 'short.ts', shortScenario())
  const out = path.join(dir, 'baseline')
  ready = await runCli(['run', scenario, '--target', 'reference', '--out', out], { outDir: out })
  expect(ready.code, ready.stderr).toBe(0)
})

describe('gatecrash diff and run --baseline', () => {
  it('run --baseline with a flaw: exit 99 (not ready wins), the comparison in run.json, the report and the console', async () => {
    const out = path.join(dir, 'flawed')
    const r = await runCli(['run', scenario, '--target', 'reference', '--flaw', 'replay-cache-off', '--baseline', ready.runDir!, '--out', out], { outDir: out })
    expect(r.code, r.stderr).toBe(99)
    const c = r.runJson.comparison
    expect(c.baseline.run_id).toBe(ready.runJson.run_id)
    expect(c.regressed).toBe(true)
    expect(c.hard).toContainEqual(expect.objectContaining({ kind: 'case', subject: 'replay.dpop-jti-reuse', baseline: 'pass', now: 'warn' }))
    expect(c.hard).toContainEqual(expect.objectContaining({ kind: 'gate', subject: 'gatecrash_warns{case:replay.dpop-jti-reuse} count==0', baseline: 'held', now: 'failed' }))
    expect(c.notes).toContain('target flaws: none → replay-cache-off')
    // the live tail joined records: the lag the comparison can use is in run.json
    expect(r.runJson.evidence.lag.seen).toBeGreaterThan(0)
    expect(r.runJson.evidence.lag.p95_ms).toBeGreaterThan(0)

    const report = await readFile(path.join(r.runDir!, RUN_FILES.report), 'utf8')
    expect(report).toContain(`## Compared with ${ready.runJson.run_id}`)
    expect(report).toMatch(/\| case \| `replay\.dpop-jti-reuse` \| pass \| warn \|/)
    // the console's last lines
    const tail = r.stdout.trim().split('\n').slice(-8).join('\n')
    expect(tail).toContain(`REGRESSED against ${ready.runJson.run_id}`)
    expect(tail).toContain('case replay.dpop-jti-reuse: pass → warn')

    // gatecrash diff on the two directories: 122, naming the case; --json the same comparison
    const d = await runCli(['diff', ready.runDir!, r.runDir!])
    expect(d.code, d.stderr).toBe(122)
    expect(d.stdout).toContain('✗ case replay.dpop-jti-reuse: pass → warn')
    expect(d.stdout).toContain('✗ gate gatecrash_warns{case:replay.dpop-jti-reuse} count==0: held → failed')
    const j = await runCli(['diff', ready.runDir!, r.runDir!, '--json'])
    expect(j.code).toBe(122)
    expect(JSON.parse(j.stdout).hard.map((h: { subject: string }) => h.subject)).toEqual(c.hard.map((h: { subject: string }) => h.subject))

    // the other way round the flawed run is the baseline: what it lacked is an improvement, exit 0
    const back = await runCli(['diff', r.runDir!, ready.runDir!])
    expect(back.code, back.stdout).toBe(0)
    expect(back.stdout).toContain('+ case replay.dpop-jti-reuse: warn → pass')
  })

  it('run --baseline, READY on its own gates but a case the baseline covered is gone: exit 122', async () => {
    // the baseline covered one case more than this scenario runs: coverage lost, though every gate holds
    const base = structuredClone(ready.runJson)
    const extra = { ...base.cases[0], id: 'escalate.refund-limit' }
    base.cases.push(extra)
    base.coverage.push({ case: 'escalate.refund-limit', covered: true, attempts: extra.attempts })
    const baseDir = path.join(dir, 'edited-baseline')
    await mkdir(baseDir, { recursive: true })
    await writeFile(path.join(baseDir, RUN_FILES.runJson), JSON.stringify(base))
    const out = path.join(dir, 'lost')
    const r = await runCli(['run', scenario, '--target', 'reference', '--baseline', baseDir, '--out', out], { outDir: out })
    expect(r.code, r.stderr).toBe(122)
    expect(r.runJson.verdict).toBe('ready')
    expect(r.runJson.comparison.hard).toEqual([expect.objectContaining({ kind: 'coverage', subject: 'escalate.refund-limit', now: null })])
  })

  it('a baseline that is not a run, or shares no attack case with the scenario, is refused before the run starts (104)', async () => {
    const none = await runCli(['run', scenario, '--baseline', path.join(dir, 'nowhere'), '--out', path.join(dir, 'none')], { outDir: path.join(dir, 'none') })
    expect(none.code).toBe(104)
    expect(none.stderr).toContain('ERR_RUN_DIR')
    expect(none.runDir).toBeNull()

    const other = structuredClone(ready.runJson)
    other.cases = other.cases.map((c: { id: string }, i: number) => (c.id.startsWith('issued.') ? c : { ...c, id: `tenant.other-${i}` }))
    const otherDir = path.join(dir, 'other-baseline')
    await mkdir(otherDir, { recursive: true })
    await writeFile(path.join(otherDir, RUN_FILES.runJson), JSON.stringify(other))
    const refused = await runCli(['run', scenario, '--baseline', otherDir, '--out', path.join(dir, 'refused')], { outDir: path.join(dir, 'refused') })
    expect(refused.code).toBe(104)
    expect(refused.stderr).toContain('ERR_RUNS_INCOMPARABLE')
    expect(refused.runDir).toBeNull()
    const diff = await runCli(['diff', otherDir, ready.runDir!])
    expect(diff.code).toBe(104)
    expect(diff.stderr).toContain('ERR_RUNS_INCOMPARABLE')
  })
})
