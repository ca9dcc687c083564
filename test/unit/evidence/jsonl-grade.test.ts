/**
 * Issue 12, "test your own deployment", end to end on the evidence side: a deployment's own audit
 * log (its field names, its enums, a traceparent instead of a trace id, an RFC 8693 act claim, a
 * hex token digest) is read through a JSONL source and its mapping, and graded by the run's grader.
 * A legitimate call and an attack joined by trace id pass; the trail is judged unchained; and the
 * line that could not be mapped reaches run.json and the Markdown report.
 */
import { readFileSync } from 'node:fs'
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import type { EvidenceProblems } from '../../../harness/contracts/evidence-source.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import type { EvidenceSourceSpec } from '../../../harness/contracts/target.ts'
import { openEvidenceSource } from '../../../harness/evidence/open-source.ts'
import { mergeProblems } from '../../../harness/evidence/problems.ts'
import { tokenHash } from '../../../harness/protocol/token-hash.ts'
import { gradeRun, type RunContext } from '../../../harness/run/finalize.ts'
import { EvidenceTail } from '../../../harness/run/evidence-tail.ts'
import { gradeRecords } from '../../../harness/run/grade-records.ts'
import { RunStore } from '../../../harness/run/run-store.ts'
import { renderMarkdown } from '../../../reports/markdown.ts'
import { attack, legit } from '../oracle/fixtures.ts'

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ'
const CASES = ['escalate.tool-scope']
const attempts: AttemptRecord[] = [
  legit(1, { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', token_hash: tokenHash(TOKEN) }),
  attack(2, 'escalate.tool-scope', { trace_id: '0af7651916cd43dd8448eb211c80319c', token_hash: tokenHash(TOKEN) }),
]

/** The line the deployment writes for an attempt, in its own vocabulary. */
function auditLine(a: AttemptRecord): string {
  const allowed = a.status === 200
  return JSON.stringify({
    time: new Date(a.started_at + 5).toISOString(),
    outcome: allowed ? 'allowed' : 'denied',
    why: allowed ? undefined : 'scope.insufficient',
    http_status: String(a.status),
    user: a.expected.principal.sub,
    client: a.expected.client_id,
    delegation: { sub: a.expected.actors[0], act: { sub: a.expected.actors[1] } },
    audience: a.expected.aud,
    tool: a.tool,
    tenant: a.expected.tenant,
    method: a.method,
    path: a.path,
    trace: `00-${a.trace_id}-00f067aa0ba902b7-01`,
    request_id: a.request_id,
    token_sha256: Buffer.from(a.token_hash!, 'base64url').toString('hex'),
  })
}

let dir: string
let spec: EvidenceSourceSpec
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gatecrash-jsonl-grade-'))
  const file = path.join(dir, 'audit.jsonl')
  await writeFile(file, `${auditLine(attempts[0])}\n{"time":"2026-11-26T03:00:00Z","note":"config reloaded"}\n${auditLine(attempts[1])}\n`)
  spec = {
    kind: 'jsonl',
    file,
    waitForFile: 0,
    mapping: {
      fields: {
        ts: 'time',
        decision: { from: 'outcome', map: { allowed: 'allow', denied: 'deny' } },
        reason: { from: 'why', default: 'ok' },
        status: 'http_status',
        'principal.sub': 'user', 'principal.type': { const: 'user' },
        client_id: 'client', actors: 'delegation',
        'resource.aud': 'audience', 'resource.tool': 'tool', 'resource.tenant': 'tenant', 'resource.method': 'method', 'resource.path': 'path',
        'correlation.trace_id': 'trace', 'correlation.request_id': 'request_id', 'correlation.token_hash': 'token_sha256',
        component: { const: 'rs' },
      },
    },
  }
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function readEvidence() {
  const source = openEvidenceSource(spec, { declaredIn: 'targets/acme.ts' })
  const evidence = []
  let problems
  for await (const page of source.pages(null)) {
    evidence.push(...page.records)
    problems = mergeProblems(problems, page.problems!)
  }
  await source.close()
  return { source, evidence, problems: problems! }
}

describe('a deployment\'s own audit log, mapped and graded', () => {
  test('a legitimate call and an attack joined by trace id pass; the evidence is unchained, and the integrity gate has nothing to judge', async () => {
    const { source, evidence, problems } = await readEvidence()
    expect(source.integrity).toBe('unchained')
    expect(evidence.map((r) => r.correlation.trace_id)).toEqual(attempts.map((a) => a.trace_id))
    expect(problems).toMatchObject({ unmapped: 1, examples: ['line 2: decision: no `outcome`'] })
    const g = gradeRecords({ attempts, evidence, integrity: 'unchained', cases: CASES })
    expect(g.attempts.map((a) => [a.seq, a.verdict])).toEqual([[1, 'pass'], [2, 'pass']])
    expect(g.match.bySeq.get(1)?.map((r) => r.id)).toEqual([evidence[0].id])
    expect(g.evidence).toMatchObject({ records: 2, matched: 2, integrity: 'unchained', chains: [] })
    expect(g.gates.find((x) => x.metric === 'gatecrash_evidence_integrity')).toMatchObject({ ok: true, observed: null })
  })

  test('run.json says unchained and counts the unmapped line with its example; the Markdown report says both', async () => {
    const { evidence, problems } = await readEvidence()
    const store = RunStore.open(':memory:')
    try {
      store.appendAttempts(attempts)
      store.appendEvidence(evidence)
      const ctx = {
        runId: 'r-jsonl', dir, scenarioFile: 'scenarios/own.ts', scenarioName: 'own', seed: 1, startedAt: new Date(0).toISOString(),
        config: { population: { tenants: 1, agents: 1 }, scenarios: {}, attacks: { share: 0.5, cases: CASES } },
        target: { name: 'acme', version: '1', flaws: [], issuer: 'http://127.0.0.1:1' },
        population: { tenants: 1, principals: 1, agents: 1, sub_agents: 1, max_depth: 1 },
        scenarios: [], delegationSamples: [], chainStart: {}, evidenceCursor: null,
        evidenceSource: 'jsonl', evidenceIntegrity: 'unchained', evidenceProblems: problems,
      } satisfies Omit<RunContext, 'config'> & { config: unknown } as unknown as RunContext
      const run = await gradeRun(ctx, store, { reporters: [], log: () => {}, settleMs: 60_000 })
      expect(run.evidence).toMatchObject({ source: 'jsonl', integrity: 'unchained', unmapped: { count: 1, examples: ['line 2: decision: no `outcome`'] } })
      expect(run.evidence.mapping_warnings).toBeUndefined()
      const validate = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(new URL('../../../docs/schemas/run.v1.schema.json', import.meta.url), 'utf8')) as object)
      expect(validate({ ...run, evidence: { ...run.evidence, mapping_warnings: ['a warning'] } }), JSON.stringify(validate.errors)).toBe(true)
      const md = renderMarkdown(run)
      expect(md).toContain('carries no hash chain: audit trail not tamper-evident.')
      expect(md).toContain('**1 line could not be mapped** to evidence records (an attempt whose line it was counts as unrecorded): line 2: decision: no `outcome`.')
    } finally {
      store.close()
    }
  })

  test('the live tail from the run\'s start cursor hands on each page\'s problems with its records: lines before the start are not the run\'s', async () => {
    const source = openEvidenceSource({ ...spec, file: path.join(dir, 'tail.jsonl') } as EvidenceSourceSpec)
    await writeFile(path.join(dir, 'tail.jsonl'), 'written before the run\n')
    let start: string | null = null
    for await (const page of source.pages(null)) start = page.cursor
    const records: EvidenceRecord[] = []
    let problems: EvidenceProblems | undefined
    const tail = new EvidenceTail({ source, cursor: start, intervalMs: 10, onRecords: (r) => records.push(...r), onProblems: (p) => (problems = mergeProblems(problems, p)) })
    tail.start()
    await appendFile(path.join(dir, 'tail.jsonl'), `${auditLine(attempts[0])}\nnot json\n${auditLine(attempts[1])}\n`)
    for (const end = Date.now() + 3000; records.length < 2 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10))
    await tail.stop()
    await source.close()
    expect(records.map((r) => r.correlation.request_id)).toEqual(['req-1', 'req-2'])
    expect(problems).toEqual({ unmapped: 1, examples: ['line 3: not JSON'], warnings: [] })
  })
})
