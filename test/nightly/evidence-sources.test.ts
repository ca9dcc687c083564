/**
 * Issue 14's acceptance at full size: `gatecrash run scenarios/sandbox-validation.ts` against the
 * agent-tools example through the profile of each evidence source kind (its audit trail as a
 * PostgreSQL table, as OpenTelemetry log records through the SDK, behind its paged HTTP log APIs):
 * READY with evidence coverage and attribution 100 %; with its "deny decisions not logged"
 * misconfiguration, NOT READY naming the cases whose refusals went unrecorded.
 */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { scratchDir } from '../helpers/cli.ts'
import { runExample, type ExampleSink } from '../helpers/example.ts'
import { postgresForFile } from '../helpers/postgres.ts'

const postgres = postgresForFile('evidence-sources.test.ts', ['agent_tools'])
if (!postgres.available) throw new Error('the nightly tier needs PostgreSQL server binaries for the postgres evidence source (.ci/run installs them)')

const SINKS: Exclude<ExampleSink, 'jsonl'>[] = ['postgres', 'otlp', 'http-log-api']
let tables = 0

function run(sink: Exclude<ExampleSink, 'jsonl'>, dir: string, flaw?: string) {
  const env: Record<string, string> = sink === 'postgres' ? { AGENT_TOOLS_PG_URL: postgres.server().superuserUrl('agent_tools'), AGENT_TOOLS_PG_TABLE: `nightly_audit_${++tables}` } : {}
  return runExample({ dir, sink, env, scenario: path.resolve('scenarios', 'sandbox-validation.ts'), timeoutMs: 600_000, ...(flaw ? { flaw } : {}) })
}

describe('sandbox-validation through each evidence source kind', () => {
  it.each(SINKS)('%s: READY, ≥ 10,000 attempts, evidence coverage and attribution 100 %', async (sink) => {
    const r = await run(sink, await scratchDir())
    expect(r.code, r.stderr.slice(-3000)).toBe(0)
    expect(r.runJson.load.attempts).toBeGreaterThanOrEqual(10_000)
    expect(r.runJson.metrics.gatecrash_evidence_coverage.rate).toBe(1)
    expect(r.runJson.metrics.gatecrash_attribution_accuracy.rate).toBe(1)
    expect(r.runJson.evidence.outages).toBeUndefined()
  }, 700_000)

  it.each(SINKS)('%s with denies-not-logged: NOT READY on evidence coverage, naming unrecorded cases', async (sink) => {
    const r = await run(sink, await scratchDir(), 'denies-not-logged')
    expect(r.code, r.stderr.slice(-3000)).toBe(99)
    const coverage = r.runJson.gates.find((g: { metric: string }) => g.metric === 'gatecrash_evidence_coverage')
    expect(coverage.ok).toBe(false)
    expect(coverage.cases.length).toBeGreaterThan(5)
    const unrecorded = r.runJson.cases.filter((c: { counts?: Record<string, number> }) => (c.counts?.unrecorded ?? 0) > 0).map((c: { id: string }) => c.id)
    expect(unrecorded).toEqual(expect.arrayContaining(['escalate.tool-scope', 'escalate.cross-tenant', 'unattributed.no-credential']))
  }, 700_000)
})
