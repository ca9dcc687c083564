import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, scratchDir, shortScenario, writeScenario } from '../helpers/cli.ts'
import { RUN_FILES } from '../../harness/run/run-dir.ts'

describe('a run stopped by the user still leaves what it measured', () => {
  it('first Ctrl-C: graceful stop, exit 105, run.json graded from the partial attempt log', async () => {
    const dir = await scratchDir()
    const scenario = await writeScenario(dir, 'long.ts', shortScenario().replace("duration: '4s'", "duration: '60s'"))
    const out = path.join(dir, 'runs')
    const r = await runCli(['run', scenario, '--out', out], { outDir: out, interruptWhen: /measuring:/ })
    expect(r.code, r.stderr).toBe(105)
    expect(r.stderr).toContain('stopping gracefully')
    expect(r.runJson.verdict).toBe('incomplete')
    expect(r.runJson.stopped).toBe('stopped by the user')
    expect(r.runJson.load.attempts).toBeGreaterThan(0)
    expect(r.runJson.load.attempts).toBeLessThan(60 * 60)
  })
})

describe('gatecrash report <run-dir>', () => {
  it('re-grades a run from its logs alone, and a crashed run (no run.json) comes out incomplete', async () => {
    const dir = await scratchDir()
    const scenario = await writeScenario(dir, 'short.ts', shortScenario())
    const out = path.join(dir, 'runs')
    const first = await runCli(['run', scenario, '--out', out], { outDir: out })
    expect(first.code, first.stderr).toBe(0)

    const again = await runCli(['report', first.runDir!])
    expect(again.code, again.stderr).toBe(0)
    const regraded = JSON.parse(await readFile(path.join(first.runDir!, 'run.json'), 'utf8'))
    expect(regraded.cases).toEqual(first.runJson.cases)
    expect(regraded.gates).toEqual(first.runJson.gates)
    // made by this grader: nothing new to say beyond the re-grade itself
    expect(regraded.regraded).toMatchObject({ from_grader: 5, grader: 5, new_gates: [] })
    // the issued-token checks are re-graded from what the run kept (context.json), not lost
    expect(regraded.cases.filter((c: { id: string }) => c.id.startsWith('issued.')).length).toBe(7)

    // A run made by grader 1 (no tool.grader in run.json or context.json) is judged by today's
    // gates, and the re-grade says which gates it was not judged by when it was made.
    const old = { ...first.runJson, tool: { ...first.runJson.tool, grader: undefined } }
    await writeFile(path.join(first.runDir!, 'run.json'), JSON.stringify(old))
    const ctxFile = path.join(first.runDir!, 'context.json')
    const ctx = JSON.parse(await readFile(ctxFile, 'utf8'))
    await writeFile(ctxFile, JSON.stringify({ ...ctx, grader: undefined }))
    const fromOld = await runCli(['report', first.runDir!])
    expect(fromOld.code, fromOld.stderr).toBe(0)
    const upgraded = JSON.parse(await readFile(path.join(first.runDir!, 'run.json'), 'utf8'))
    const issuedGates = ['gatecrash_warns{case:issued.act-chain}', 'gatecrash_warns{case:issued.scope}', 'gatecrash_warns{case:issued.lifetime}']
    expect(upgraded.regraded).toMatchObject({ from_grader: 1, grader: 5, new_gates: ['gatecrash_evidence_integrity', 'gatecrash_false_denies{kind:attack}', ...issuedGates, 'gatecrash_reconstruction'] })
    expect(upgraded.gates.find((g: { metric: string }) => g.metric === 'gatecrash_evidence_integrity')).toMatchObject({ ok: true, source: 'default' })
    expect(await readFile(path.join(first.runDir!, RUN_FILES.report), 'utf8')).toContain('Gates it was not judged by when it was made: `gatecrash_evidence_integrity`, `gatecrash_false_denies{kind:attack}`, `gatecrash_warns{case:issued.act-chain}`')

    // Simulate a crash before finalizing: the logs are there, run.json is not.
    await rm(path.join(first.runDir!, 'run.json'))
    const crashed = await runCli(['report', first.runDir!])
    expect(crashed.code).toBe(99)
    const partial = JSON.parse(await readFile(path.join(first.runDir!, 'run.json'), 'utf8'))
    expect(partial.verdict).toBe('incomplete')
    expect(partial.load.attempts).toBe(first.runJson.load.attempts)
  })

  it('a folder that is not a run directory is a clear error, not a stack trace', async () => {
    const r = await runCli(['report', await scratchDir()])
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('ERR_RUN_DIR')
    expect(r.stderr).toContain('hint:')
  })
})
