/**
 * "Test your own deployment", end to end through the CLI: the agent-tools example (a deployment
 * gatecrash did not write: oidc-provider, express + express-oauth2-jwt-bearer, JSON-lines audit)
 * reached only through its target profile, which starts it, provisions through its AS, reads and
 * maps its audit logs. A short run is READY; one of its misconfigurations is NOT READY naming the
 * case; the same two runs on the example's container form (one local image, host networking) give
 * the same verdicts. The full-size runs and every misconfiguration are in the nightly tier.
 */
import { RUN_FILES } from '../../harness/run/run-dir.ts'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { scratchDir, writeScenario } from '../helpers/cli.ts'
import { deploymentImages } from '../../targets/profile/deployment/container-image.ts'
import { dockerAvailable, dockerClient } from '../../targets/shared/container/engine.ts'
import { EXAMPLE_IAT, exampleScenario, runExample } from '../helpers/example.ts'

const engine = await dockerAvailable()
if (!engine && process.env.GATECRASH_CI_REQUIRES?.split(',').includes('docker')) throw new Error('CI requires a Docker engine (GATECRASH_CI_REQUIRES=docker) and none answers')
if (!engine) console.warn('profile-example.test.ts: the container form is skipped: no Docker engine answers (docs/platform.md "Docker and testcontainers")')

/** every file below `dir`, the run store included */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))
}

const CASES = ['replay.dpop-jti-reuse', 'escalate.tool-scope', 'escalate.cross-tenant', 'unattributed.no-credential', 'replay.cross-audience']

describe('a deployment gatecrash did not write, through its target profile', () => {
  it('the agent-tools example: READY, provisioned through its AS, every attempt recorded and attributed from its mapped audit logs', async () => {
    const dir = await scratchDir()
    const r = await runExample({ dir, scenario: await writeScenario(dir, 'example.ts', exampleScenario({ seconds: 4, rate: 40, cases: CASES })) })
    expect(r.code, r.stderr.slice(-3000)).toBe(0)
    const run = r.runJson
    expect(run.target.name).toBe('agent-tools')
    expect(run.population).toMatchObject({ agents: 16, sub_agents: expect.any(Number) })
    expect(run.population.sub_agents).toBeGreaterThan(0)
    expect(run.metrics.gatecrash_evidence_coverage.rate).toBe(1)
    expect(run.metrics.gatecrash_attribution_accuracy.rate).toBe(1)
    expect(run.evidence).toMatchObject({ integrity: 'unchained', source: 'jsonl+jsonl+jsonl' })
    expect(run.coverage.filter((c: { covered: boolean }) => !c.covered)).toEqual([])
    const report = await readFile(path.join(r.runDir!, RUN_FILES.report), 'utf8')
    expect(report).toContain('Audit trail not tamper-evident')
    // the deployment's own output went beside the run directory, not into it
    expect(r.stderr).toMatch(/cleanup: deleted \d+ of \d+ clients the run registered/)
    // The initial access token came from the environment the profile names: not in the run
    // directory, not beside it in the deployment's logs, not on the console, in any encoding.
    const forms = [EXAMPLE_IAT, Buffer.from(EXAMPLE_IAT).toString('base64url'), Buffer.from(EXAMPLE_IAT).toString('base64'), encodeURIComponent(`Bearer ${EXAMPLE_IAT}`)]
    const files = [...(await filesUnder(r.runDir!)), ...(await filesUnder(`${r.runDir!}.logs`).catch(() => []))]
    expect(files.length).toBeGreaterThan(5)
    for (const f of files) {
      const text = (await readFile(f)).toString('latin1')
      for (const form of forms) expect(text.includes(form), `${form} in ${f}`).toBe(false)
    }
    for (const form of forms) expect(`${r.stdout}${r.stderr}`.includes(form)).toBe(false)
  }, 180_000)

  it('its misconfiguration no-jti-cache: exit 99 naming replay.dpop-jti-reuse', async () => {
    const dir = await scratchDir()
    const r = await runExample({ dir, flaw: 'no-jti-cache', scenario: await writeScenario(dir, 'example.ts', exampleScenario({ seconds: 4, rate: 40, cases: CASES })) })
    expect(r.code, r.stderr.slice(-3000)).toBe(99)
    const failed = r.runJson.gates.filter((g: { ok: boolean }) => !g.ok)
    expect(failed.flatMap((g: { cases: string[] }) => g.cases)).toContain('replay.dpop-jti-reuse')
    expect(r.stdout).toContain('replay.dpop-jti-reuse')
  }, 180_000)

  describe.skipIf(!engine)('the same deployment as containers (AGENT_TOOLS_FORM=container)', () => {
    it('READY from the containers\' audit logs, bound out of them; containers and images gone after the run', async () => {
      const dir = await scratchDir()
      const r = await runExample({ dir, form: 'container', scenario: await writeScenario(dir, 'example.ts', exampleScenario({ seconds: 4, rate: 40, cases: CASES })) })
      expect(r.code, r.stderr.slice(-3000)).toBe(0)
      for (const name of ['as', 'rs-support', 'rs-kb']) expect(`${r.stdout}${r.stderr}`).toContain(`deployment: container ${name} ready`)
      expect(r.runJson.metrics.gatecrash_evidence_coverage.rate).toBe(1)
      expect(r.runJson.metrics.gatecrash_attribution_accuracy.rate).toBe(1)
      expect(r.runJson.coverage.filter((c: { covered: boolean }) => !c.covered)).toEqual([])
      // this file's runs are the only ones with these component names (other files' containers run beside them)
      const ours = (await deploymentImages(await dockerClient())).filter((t) => /^gatecrash-deployment\/(as|rs-support|rs-kb):/.test(t))
      expect(ours).toEqual([])
    }, 240_000)

    it('no-jti-cache: exit 99 naming replay.dpop-jti-reuse, as the processes form', async () => {
      const dir = await scratchDir()
      const r = await runExample({ dir, form: 'container', flaw: 'no-jti-cache', scenario: await writeScenario(dir, 'example.ts', exampleScenario({ seconds: 4, rate: 40, cases: CASES })) })
      expect(r.code, r.stderr.slice(-3000)).toBe(99)
      const failed = r.runJson.gates.filter((g: { ok: boolean }) => !g.ok)
      expect(failed.flatMap((g: { cases: string[] }) => g.cases)).toContain('replay.dpop-jti-reuse')
    }, 240_000)
  })
})
