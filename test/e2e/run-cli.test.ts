import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCli, scratchDir, shortScenario, writeScenario } from '../helpers/cli.ts'

let dir: string
let scenario: string

beforeAll(async () => {
  dir = await scratchDir()
  scenario = await writeScenario(dir, 'short.ts', shortScenario())
})

function caseRow(run: any, id: string) {
  return run.cases.find((c: any) => c.id === id)
}

describe('gatecrash run against the reference target', () => {
  it('correct target: exit 0, verdict ready, every attack blocked and recorded', async () => {
    const out = path.join(dir, 'ok')
    const r = await runCli(['run', scenario, '--target', 'reference', '--out', out], { outDir: out })
    expect(r.code, r.stderr).toBe(0)
    expect(r.runJson.verdict).toBe('ready')
    for (const id of ['replay.dpop-jti-reuse', 'escalate.tool-scope', 'unattributed.no-credential']) {
      const row = caseRow(r.runJson, id)
      expect(row.attempts, id).toBeGreaterThan(0)
      expect(row.verdict, id).toBe('pass')
      expect(row.counts.pass, id).toBe(row.attempts)
    }
    expect(r.runJson.legit.counts.pass).toBe(r.runJson.legit.attempts)
    expect(r.runJson.evidence.chains.every((c: any) => c.ok)).toBe(true)
    expect(r.stdout).toMatch(/READY/)

    // No raw token, proof or private key in any artifact or log line (tokens by hash only).
    const jws = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/
    const files = (await readdir(r.runDir!, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())
    expect(files.length).toBeGreaterThanOrEqual(7)
    for (const f of files) {
      const text = await readFile(path.join(f.parentPath, f.name), 'utf8')
      expect(text, f.name).not.toMatch(jws)
      expect(text, f.name).not.toMatch(/"d":\s*"/)
    }
    expect(r.stdout + r.stderr).not.toMatch(jws)
  })

  it('flaw replay-cache-off: exit 99 naming the gate and replay.dpop-jti-reuse', async () => {
    const out = path.join(dir, 'replay')
    const r = await runCli(['run', scenario, '--target', 'reference', '--flaw', 'replay-cache-off', '--out', out], { outDir: out })
    expect(r.code, r.stderr).toBe(99)
    expect(r.runJson.verdict).toBe('not-ready')
    expect(caseRow(r.runJson, 'replay.dpop-jti-reuse').verdict).toBe('warn')
    const failed = r.runJson.gates.filter((g: any) => !g.ok)
    expect(failed.map((g: any) => g.metric)).toContain('gatecrash_warns{case:replay.dpop-jti-reuse}')
    expect(failed.flatMap((g: any) => g.cases)).toContain('replay.dpop-jti-reuse')
    expect(r.stdout).toContain('replay.dpop-jti-reuse')
  })

  it('flaw evidence-drops-denies: exit 99, attacks blocked but unrecorded', async () => {
    const out = path.join(dir, 'drops')
    const r = await runCli(['run', scenario, '--target', 'reference', '--flaw', 'evidence-drops-denies', '--out', out], { outDir: out })
    expect(r.code, r.stderr).toBe(99)
    for (const id of ['replay.dpop-jti-reuse', 'escalate.tool-scope', 'unattributed.no-credential']) {
      expect(caseRow(r.runJson, id).verdict, id).toBe('unrecorded')
    }
    const coverage = r.runJson.gates.find((g: any) => g.metric === 'gatecrash_evidence_coverage')
    expect(coverage.ok).toBe(false)
    expect(coverage.cases).toEqual(expect.arrayContaining(['escalate.tool-scope', 'unattributed.no-credential']))
    expect(r.stdout).toContain('gatecrash_evidence_coverage')
  })
})

describe('scenario validation (exit 104)', () => {
  it('an unknown key names the file, the key and the allowed keys', async () => {
    const bad = await writeScenario(dir, 'unknown-key.ts', shortScenario().replace("timeUnit: '1s'", "timeUnit: '1s', rat: 5"))
    const r = await runCli(['run', bad, '--out', path.join(dir, 'bad1')])
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('ERR_SCENARIO_INVALID')
    expect(r.stderr).toContain('unknown-key.ts')
    expect(r.stderr).toContain('scenarios.workload.rat')
    expect(r.stderr).toMatch(/allowed: executor, rate, timeUnit, duration, preAllocatedVUs, maxVUs/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('a wrong type names the key and what is allowed', async () => {
    const bad = await writeScenario(dir, 'wrong-type.ts', shortScenario().replace('rate: 60', "rate: '60'"))
    const r = await runCli(['run', bad, '--out', path.join(dir, 'bad2')])
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('wrong-type.ts')
    expect(r.stderr).toContain('`scenarios.workload.rate` is a string')
    expect(r.stderr).toContain('allowed: a number ≥ 1 ≤ 100000')
  })

  it('an unknown executor lists the executors', async () => {
    const bad = await writeScenario(dir, 'executor.ts', shortScenario().replace("executor: 'constant-arrival-rate'", "executor: 'constant-arival-rate'"))
    const r = await runCli(['run', bad, '--out', path.join(dir, 'bad3')])
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('scenarios.workload.executor')
    expect(r.stderr).toContain("'constant-arrival-rate'")
  })
})
