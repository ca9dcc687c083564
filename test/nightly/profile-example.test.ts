/**
 * The agent-tools example at full size, through its target profile: the default job and the whole
 * catalog are READY against the correct deployment (provisioned through its oidc-provider AS,
 * evidence from its mapped JSON-lines audit), and each of its misconfigurations is NOT READY
 * naming the case that catches it; the container form (AGENT_TOOLS_FORM=container) gives the same
 * verdicts.
 */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { scratchDir } from '../helpers/cli.ts'
import { dockerAvailable } from '../../targets/shared/container/engine.ts'
import { runExample } from '../helpers/example.ts'

const engine = await dockerAvailable()
if (!engine) throw new Error('the nightly tier needs a Docker engine for the example\'s container form (docs/platform.md "Docker and testcontainers")')

const scenario = (name: string) => path.resolve('scenarios', name)
const failingCases = (run: { gates: { ok: boolean; cases: string[] }[] }) => run.gates.filter((g) => !g.ok).flatMap((g) => g.cases)

describe('a deployment gatecrash did not write, at full size', () => {
  it.each(['processes', 'container'] as const)('sandbox-validation as %s: READY with ≥ 500 agents, ≥ 1,000 sub-agents, ≥ 10,000 attempts, evidence coverage and attribution 100 % from the mapped audit', async (form) => {
    const r = await runExample({ dir: await scratchDir(), form, scenario: scenario('sandbox-validation.ts'), timeoutMs: 600_000 })
    expect(r.code, r.stderr.slice(-3000)).toBe(0)
    expect(r.runJson.population.agents).toBeGreaterThanOrEqual(500)
    expect(r.runJson.population.sub_agents).toBeGreaterThanOrEqual(1000)
    expect(r.runJson.load.attempts).toBeGreaterThanOrEqual(10_000)
    expect(r.runJson.metrics.gatecrash_evidence_coverage.rate).toBe(1)
    expect(r.runJson.metrics.gatecrash_attribution_accuracy.rate).toBe(1)
    expect(r.runJson.faults[0].skipped).toMatch(/^not applied: target agent-tools offers no fault hooks/)
  }, 700_000)

  it('full-catalog: READY, and the coverage lists the cases it cannot serve, each with why', async () => {
    const r = await runExample({ dir: await scratchDir(), scenario: scenario('full-catalog.ts'), timeoutMs: 600_000 })
    expect(r.code, r.stderr.slice(-3000)).toBe(0)
    const missed = r.runJson.coverage.filter((c: { covered: boolean }) => !c.covered)
    // the example's profile declares no internal paths: the escalate.internal-endpoint.* cases say so
    // nor a revocation endpoint, admin hooks, or parents among its registration members
    expect(missed.map((c: { case: string }) => c.case).sort()).toEqual([
      'escalate.internal-endpoint.admin-read', 'escalate.internal-endpoint.peer-push', 'escalate.registration.foreign-parent', 'escalate.revoke.other-client',
      'lifecycle.expired-at', 'lifecycle.offboarded-agent.old-token', 'lifecycle.retired-key', 'lifecycle.revoke-invalid-token', 'lifecycle.revoked-at', 'lifecycle.revoked-at.wrong-hint',
    ])
    for (const c of missed) expect(c.reason, c.case).toMatch(/lacks|policy.offboardingPropagationS|declares no .*internalPaths|expresses no parent/)
  }, 700_000)

  // Each misconfiguration of the example (its README "Flaws") and a case that must catch it.
  const FLAWS: [string, string][] = [
    ['no-jti-cache', 'replay.dpop-jti-reuse'],
    ['audience-unchecked', 'replay.cross-audience'],
    ['tenant-unchecked', 'escalate.cross-tenant'],
    ['refund-scope-missing', 'escalate.tool-scope'],
    ['exchange-any-client', 'replay.exchange-laundering'],
    ['exchange-scope-not-narrowed', 'escalate.exchange-upscope'],
    ['denies-not-logged', 'escalate.tool-scope'],
  ]
  it.each(FLAWS.flatMap(([flaw, caseId]) => (['processes', 'container'] as const).map((form) => [flaw, caseId, form] as const)))('AGENT_TOOLS_FLAW=%s: exit 99 naming %s (as %s)', async (flaw, caseId, form) => {
    const r = await runExample({ dir: await scratchDir(), flaw, form, scenario: scenario('full-catalog.ts'), timeoutMs: 600_000 })
    expect(r.code, r.stderr.slice(-3000)).toBe(99)
    expect(failingCases(r.runJson)).toContain(caseId)
  }, 700_000)
})
