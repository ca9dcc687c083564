import { execFile } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { parse, type TestCase, type TestSuites } from 'junit2json'
import { beforeAll, describe, expect, it } from 'vitest'
import type { RunJson } from '../../harness/contracts/run-json.ts'
import { RUN_FILES } from '../../harness/run/run-dir.ts'
import { runCli, scratchDir, shortScenario, writeScenario } from '../helpers/cli.ts'

let dir: string
let scenario: string

beforeAll(async () => {
  dir = await scratchDir()
  scenario = await writeScenario(dir, 'short.ts', shortScenario())
})

/** What junit.xml must say, counted from run.json by the rule docs/architecture.md states. */
function expected(run: RunJson) {
  const failing = new Set(run.gates.filter((g) => !g.ok).flatMap((g) => g.cases))
  const notCovered = new Set((run.coverage ?? []).filter((c) => !c.covered).map((c) => c.case))
  const failedCases = run.cases.filter((c) => failing.has(c.id)).length
  return {
    tests: run.cases.length + run.gates.length,
    failures: failedCases + run.gates.filter((g) => !g.ok).length,
    skipped: run.cases.filter((c) => notCovered.has(c.id) && !failing.has(c.id)).length,
    errors: 0,
  }
}

/** xmllint's verdict on the file, and the file as an independent JUnit reader sees it. */
async function junitOf(runDir: string): Promise<TestSuites> {
  const file = path.join(runDir, RUN_FILES.junit)
  await promisify(execFile)('/usr/bin/xmllint', ['--noout', file])
  return (await parse(await readFile(file, 'utf8'))) as TestSuites
}

const testcase = (doc: TestSuites, name: string): TestCase | undefined => doc.testsuite?.flatMap((s) => s.testcase ?? []).find((c) => c.name === name)

describe('junit.xml from a real run against the reference target', () => {
  it('READY: valid XML, the counts run.json gives, no failures; `gatecrash report` writes it again', async () => {
    const out = path.join(dir, 'ok')
    const r = await runCli(['run', scenario, '--target', 'reference', '--out', out], { outDir: out })
    expect(r.code, r.stderr).toBe(0)
    const run = r.runJson as RunJson
    expect(run.files).toContain(RUN_FILES.junit)
    const doc = await junitOf(r.runDir!)
    expect(doc).toMatchObject({ ...expected(run), failures: 0 })
    expect(doc.name).toBe('gatecrash e2e-short → reference')
    expect(doc.testsuite?.map((s) => s.name)).toEqual(expect.arrayContaining(['gates', 'replay', 'escalate', 'unattributed']))

    // a re-grade rewrites every report from run.db, junit.xml included
    await rm(path.join(r.runDir!, RUN_FILES.junit))
    const again = await runCli(['report', r.runDir!])
    expect(again.code, again.stderr).toBe(0)
    expect(await junitOf(r.runDir!)).toMatchObject(expected(run))
  })

  it('NOT READY (flaw replay-cache-off): the replayed case fails, naming the gate and its trace ids', async () => {
    const out = path.join(dir, 'replay')
    const r = await runCli(['run', scenario, '--target', 'reference', '--flaw', 'replay-cache-off', '--out', out], { outDir: out })
    expect(r.code, r.stderr).toBe(99)
    const run = r.runJson as RunJson
    const doc = await junitOf(r.runDir!)
    expect(doc).toMatchObject(expected(run))
    expect(doc.failures).toBeGreaterThanOrEqual(2)

    const failure = testcase(doc, 'replay.dpop-jti-reuse')?.failure?.[0]
    expect(failure?.message).toContain('fails gatecrash_warns{case:replay.dpop-jti-reuse} count==0')
    expect(failure?.inner).toContain('rule: RFC 9449 §11.1')
    const row = run.cases.find((c) => c.id === 'replay.dpop-jti-reuse')!
    expect(row.examples.length).toBeGreaterThan(0)
    for (const e of row.examples) expect(failure?.inner).toContain(`trace ${e.trace_id}`)
    expect(testcase(doc, 'gatecrash_warns{case:replay.dpop-jti-reuse} count==0')?.failure?.[0].type).toBe('gate')
  })
})
