/**
 * Issue 14 end to end, through the CLI: the agent-tools example (oidc-provider AS, express resource
 * servers) writes its audit trail as a PostgreSQL table, as OpenTelemetry log records through the
 * real SDK (protobuf with gzip, and JSON), and behind a paged HTTP log API; gatecrash reads each
 * through its profile's evidence source. A short run is READY with every attempt recorded and
 * attributed; the example's "deny decisions not logged" misconfiguration is NOT READY on evidence
 * coverage, naming the attack cases whose refusals went unrecorded. The full-size runs are in the
 * nightly tier (test/nightly/evidence-sources.test.ts).
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { RUN_FILES } from '../../harness/run/run-dir.ts'
import { scratchDir, writeScenario } from '../helpers/cli.ts'
import { exampleScenario, runExample, type ExampleSink } from '../helpers/example.ts'
import { postgresForFile } from '../helpers/postgres.ts'

const postgres = postgresForFile('evidence-sources.test.ts', ['agent_tools'])

const CASES = ['replay.dpop-jti-reuse', 'escalate.tool-scope', 'escalate.cross-tenant', 'unattributed.no-credential']
/** the kind run.json names for each profile's source */
const KIND: Record<Exclude<ExampleSink, 'jsonl'>, string> = { postgres: 'postgres', otlp: 'otlp-logs', 'http-log-api': 'http-log-api+http-log-api+http-log-api' }

async function run(sink: Exclude<ExampleSink, 'jsonl'>, opts: { flaw?: string; env?: Record<string, string> } = {}) {
  const dir = await scratchDir()
  const scenario = await writeScenario(dir, 'sources.ts', exampleScenario({ seconds: 3, rate: 40, cases: CASES }))
  // each run its own table, so no run reads another's rows
  const table = `audit_${dir.replace(/\W/g, '').slice(-8).toLowerCase()}`
  const env = { ...(sink === 'postgres' ? { AGENT_TOOLS_PG_URL: postgres.server().superuserUrl('agent_tools'), AGENT_TOOLS_PG_TABLE: table } : {}), ...opts.env }
  return runExample({ dir, scenario, sink, env, ...(opts.flaw ? { flaw: opts.flaw } : {}) })
}

const cases: [Exclude<ExampleSink, 'jsonl'>, Record<string, string>?][] = [['postgres'], ['otlp'], ['otlp', { AGENT_TOOLS_OTLP_PROTOCOL: 'http/json', AGENT_TOOLS_OTLP_COMPRESSION: 'none' }], ['http-log-api']]

describe('the example deployment\'s audit trail where deployments keep it, read by each evidence source kind', () => {
  for (const [sink, env] of cases) {
    const name = `${sink}${env ? ` (${Object.values(env).join(', ')})` : ''}`
    describe.skipIf(sink === 'postgres' && !postgres.available)(name, () => {
      it('READY: every attempt recorded and attributed from the source', async () => {
        const r = await run(sink, { env })
        expect(r.code, r.stderr.slice(-3000)).toBe(0)
        expect(r.runJson.verdict).toBe('ready')
        expect(r.runJson.evidence).toMatchObject({ source: KIND[sink], integrity: 'unchained' })
        expect(r.runJson.evidence.records).toBeGreaterThan(0)
        expect(r.runJson.metrics.gatecrash_evidence_coverage.rate).toBe(1)
        expect(r.runJson.metrics.gatecrash_attribution_accuracy.rate).toBe(1)
        expect(r.stderr).toMatch(new RegExp(`evidence: the warm-up's records reach the ${KIND[sink].replaceAll('+', '\\+')} source`))
      })

      it('denies-not-logged: NOT READY on evidence coverage, the refused attacks unrecorded', async () => {
        const r = await run(sink, { env, flaw: 'denies-not-logged' })
        expect(r.code, r.stderr.slice(-3000)).toBe(99)
        expect(r.runJson.verdict).toBe('not-ready')
        const coverage = r.runJson.gates.find((g: { metric: string }) => g.metric === 'gatecrash_evidence_coverage')
        expect(coverage).toMatchObject({ ok: false })
        const unrecorded = r.runJson.cases.filter((c: { counts?: Record<string, number> }) => (c.counts?.unrecorded ?? 0) > 0).map((c: { id: string }) => c.id)
        expect(unrecorded).toEqual(expect.arrayContaining(['escalate.tool-scope', 'unattributed.no-credential']))
        expect(r.stdout + r.stderr).toMatch(/gatecrash_evidence_coverage rate==1 +observed 0\.\d+/)
      })
    })
  }
})

describe.skipIf(!postgres.available)('a source that goes away mid-run', () => {
  it('PostgreSQL stopped for 3 s while measuring: an outage in run.json and the report, the records read before it kept, the tail reading again after', async () => {
    const dir = await scratchDir()
    const scenario = await writeScenario(dir, 'outage.ts', exampleScenario({ seconds: 8, rate: 30, cases: CASES }))
    let restarted: Promise<void> = Promise.resolve()
    const r = await runExample({
      dir,
      scenario,
      sink: 'postgres',
      env: { AGENT_TOOLS_PG_URL: postgres.server().superuserUrl('agent_tools'), AGENT_TOOLS_PG_TABLE: 'outage_audit' },
      when: {
        pattern: /measuring: /,
        run: () => {
          restarted = (async () => {
            await new Promise((res) => setTimeout(res, 1_500))
            await postgres.server().stop()
            await new Promise((res) => setTimeout(res, 3_000))
            await postgres.server().start()
          })()
        },
      },
    })
    await restarted
    expect(r.runJson, r.stderr.slice(-3000)).not.toBeNull()
    const outages = r.runJson.evidence.outages as { from: string; to: string | null; polls: number; error: string }[]
    expect(outages.length, r.stderr.slice(-2000)).toBeGreaterThanOrEqual(1)
    expect(outages[0].polls).toBeGreaterThanOrEqual(1)
    expect(outages[0].to).not.toBeNull()
    expect(Date.parse(outages[0].to!) - Date.parse(outages[0].from)).toBeGreaterThanOrEqual(1_000)
    // what was read before the outage and after it is graded: most attempts have their record
    expect(r.runJson.evidence.records).toBeGreaterThan(100)
    expect(r.runJson.evidence.matched).toBeGreaterThan(100)
    const report = await readFile(path.join(r.runDir!, RUN_FILES.report), 'utf8')
    expect(report).toMatch(/The evidence source could not be read (once|\d+ times) while measuring/)
    expect(report).toContain(outages[0].from)
  })
})
