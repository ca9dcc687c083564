import { describe, expect, test } from 'vitest'
import { delegationSample } from '../../../harness/run/provision-phase.ts'
import { coverageOf } from '../../../harness/run/finalize.ts'
import { renderMarkdown } from '../../../reports/markdown.ts'
import { failingRun } from './run-fixture.ts'

describe('docs/architecture.md run directory: the Markdown report', () => {
  const { run } = failingRun()
  const md = renderMarkdown(run)

  test('title carries the verdict', () => {
    expect(run.verdict).toBe('not-ready')
    expect(md.split('\n')[0]).toBe('# gatecrash readiness report: NOT READY')
  })

  test('gates table marks the failed gate ❌ with the attack case behind it', () => {
    const coverage = md.split('\n').find((l) => l.includes('`gatecrash_evidence_coverage`'))
    expect(coverage).toMatch(/^\| ❌ \| `gatecrash_evidence_coverage` \| `rate==1` \| 0\.8333 \| default \| `escalate\.tool-scope` \|$/)
    const raised = md.split('\n').find((l) => l.includes('`gatecrash_warns{case:replay.dpop-jti-reuse}`'))
    expect(raised).toContain('❌')
    expect(raised).toContain('scenario')
    expect(md).toMatch(/\| ✅ \| `gatecrash_breaches` \| `count==0` \| 0 \|/)
  })

  test('attack families before the case table: each family held or failed, with the failing cases named', () => {
    const md = renderMarkdown(run)
    expect(md.indexOf('## Attack families')).toBeGreaterThan(0)
    expect(md.indexOf('## Attack families')).toBeLessThan(md.indexOf('## Attack cases'))
    expect(md).toContain('2 of 4 families held, 2 failed.')
    expect(md).toMatch(/\| ❌ \| `escalate\.tool-scope` \| escalate \| 1 \| 2 \| \*\*failed\*\* \| escalate\.tool-scope failed \|/)
    expect(md).toMatch(/\| ✅ \| `unattributed\.no-credential` \|.*\*\*held\*\*/)
  })

  test('per-case table with refs, and failing examples by trace id', () => {
    expect(md).toMatch(/\| ❌ \| `escalate\.tool-scope` \| escalate \| must \| 2 \| \*\*unrecorded\*\* \| pass 1, unrecorded 1 \| RFC 6750 §3\.1 \|/)
    expect(md).toContain('RFC 9449 §11.1; RFC 9449 §4.3 (11)')
    expect(md).toContain('- `trace0004` — **unrecorded**: refused with 403 DPoP error=insufficient_scope; no evidence record for trace trace0004')
    expect(md).toContain('- `trace0005` — **warn**: accepted with 200')
  })

  test('latency, evidence and chain, delegation samples', () => {
    expect(md).toContain('| `http_req_duration` | 6 |')
    expect(md).toContain('5 records read; 5 joined to attempts; 0 arrived after the settle window.')
    expect(md).toContain('| ✅ | `rs-1` | 5 | — |')
    expect(md).toContain('- `user_1 → agent_1 → subagent_1` — scope `tickets:read`')
  })

  test('a delegation sample as provisioning builds it names the principal once: principal → agent → sub-agent', () => {
    // RunIdentity.actors is current actor first (RFC 8693 §4.1 nesting)
    const sample = delegationSample({ principal: 'user_7', actors: ['sub_2', 'agent_1'], grantedScope: ['tickets:read'] })
    expect(sample).toEqual({ principal: 'user_7', chain: ['agent_1', 'sub_2'], scope: 'tickets:read' })
    const line = renderMarkdown({ ...run, delegation_samples: [sample] }).split('\n').find((l) => l.includes('user_7'))
    expect(line).toBe('- `user_7 → agent_1 → sub_2` — scope `tickets:read`')
  })

  test('sign-off block with empty name/role/date lines, and the unsigned-bundle note', () => {
    const blanks = ['Name', 'Role', 'Date'].map((field) => `- ${field}: ______________________________`)
    for (const line of ['## Sign-off', ...blanks, '**Unsigned bundle.**']) expect(md).toContain(line)
  })

  test('docs/architecture.md safety: free text is escaped for tables and never carries a token', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJl'
    const leaky = structuredClone(run)
    leaky.cases[0].examples[0].why = `upstream said | Bearer ${jwt}`
    leaky.stopped = `transport error with DPoP ${jwt}`
    const out = renderMarkdown(leaky)
    expect(out).not.toContain(jwt)
    expect(out).toContain('upstream said \\| Bearer [redacted token]')
  })

  test('a flawed target and an early stop are called out', () => {
    const out = renderMarkdown({ ...run, verdict: 'incomplete', stopped: 'user pressed Ctrl-C', target: { ...run.target, flaws: ['replay-cache-off'] } })
    expect(out.split('\n')[0]).toBe('# gatecrash readiness report: INCOMPLETE')
    expect(out).toContain('**Flawed target.**')
    expect(out).toContain('`replay-cache-off`')
    expect(out).toContain('**Stopped early:** user pressed Ctrl-C.')
  })
})

describe('the Markdown report, load table: dropped iterations and scheduling lag are shown, never hidden', () => {
  test('an arrival-rate scenario shows lag p50 / p99 and peak VUs; a closed-model one shows a dash for lag', () => {
    const { run } = failingRun()
    run.load.scenarios = [
      { name: 'arrivals', executor: 'constant-arrival-rate', target_rate: 300, achieved_rate: 299.7, iterations: 35964, dropped_iterations: 36, lag_p50_ms: 0.93, lag_p99_ms: 11.32, peak_vus: 41 },
      { name: 'vus', executor: 'constant-vus', achieved_rate: 55.2, iterations: 3312, dropped_iterations: 0, peak_vus: 10 },
    ]
    const lines = renderMarkdown(run).split('\n')
    expect(lines).toContain('| load scenario | executor | target rate | achieved rate | iterations | dropped | scheduling lag p50 / p99 | peak VUs |')
    expect(lines).toContain('| arrivals | constant-arrival-rate | 300/s | 299.7/s | 35964 | 36 | 0.93 / 11.3 ms | 41 |')
    expect(lines).toContain('| vus | constant-vus | — | 55.2/s | 3312 | 0 | — | 10 |')
  })
})

describe('the Markdown report: the trail\'s integrity and a re-grade stand next to the verdict', () => {
  const { run } = failingRun()
  const head = (md: string) => md.split('## Run')[0]

  test('an unchained source: "audit trail not tamper-evident" under the title and in the evidence section', () => {
    const md = renderMarkdown({ ...run, evidence: { ...run.evidence, integrity: 'unchained', source: 'jsonl', chains: [] } })
    expect(head(md)).toContain('> **Audit trail not tamper-evident.**')
    expect(md).toContain('The evidence source (`jsonl`) carries no hash chain: audit trail not tamper-evident.')
  })

  test('a broken chain is named under the title with its problem', () => {
    const chains = [{ component: 'rs-1/0', records: 40, ok: false, problem: 'head abc… reported at … is not in the chain from record 40 of the run on: the chain was cut back or rewritten' }]
    const md = renderMarkdown({ ...run, evidence: { ...run.evidence, integrity: 'chained', chains } })
    expect(head(md)).toContain('> **Audit trail broken or rewritten.** Chain `rs-1/0`: head abc… reported at … is not in the chain from record 40 of the run on: the chain was cut back or rewritten')
  })

  test('a re-graded run says when, by which grader, and which gates it was not judged by', () => {
    const md = renderMarkdown({ ...run, regraded: { at: '2026-12-06T12:00:00.000Z', from_grader: 1, grader: 2, new_gates: ['gatecrash_evidence_integrity'] } })
    expect(head(md)).toContain('> **Re-graded** on 2026-12-06T12:00:00.000Z by grader 2; the run was made with grader 1. Gates it was not judged by when it was made: `gatecrash_evidence_integrity`.')
  })

  test('an intact chained trail adds no note', () => {
    expect(head(renderMarkdown(run))).not.toContain('> **')
  })
})

describe('docs/architecture.md oracle rules: coverage (not covered is lost coverage, never a pass)', () => {
  const { run } = failingRun()
  const rows = [
    { ...run.cases[0], id: 'a.covered', attempts: 3, counts: { pass: 3 } },
    { ...run.cases[0], id: 'b.setup', attempts: 0, counts: { 'not-covered': 1 } },
    { ...run.cases[0], id: 'c.never', attempts: 0, counts: {} },
    { ...run.cases[0], id: 'd.errors', attempts: 2, counts: { error: 2 } },
  ]

  test('every case asked for is listed, covered or with the reason it was not', () => {
    expect(coverageOf(rows, { 'b.setup': 'the target lacks revocation (from its metadata or profile)' })).toEqual([
      { case: 'a.covered', covered: true, attempts: 3 },
      { case: 'b.setup', covered: false, attempts: 0, reason: 'the target lacks revocation (from its metadata or profile)' },
      { case: 'c.never', covered: false, attempts: 0, reason: expect.stringMatching(/^never fired/) },
      { case: 'd.errors', covered: false, attempts: 2, reason: expect.stringMatching(/transport error/) },
    ])
  })

  test('the Markdown report has a Coverage section naming each gap and why', () => {
    const md = renderMarkdown({ ...run, coverage: coverageOf(rows, { 'b.setup': 'no admin hook to revoke tokens' }) })
    expect(md).toContain('## Coverage')
    expect(md).toContain('1 of 4 attack cases asked for were exercised against this target.')
    expect(md).toContain('| `b.setup` | 0 | no admin hook to revoke tokens |')
  })
})

describe('the Markdown report: control mapping', () => {
  const { run } = failingRun()
  const md = renderMarkdown(run)
  const line = (start: string) => md.split('\n').find((l) => l.startsWith(start))

  test('a NOT READY run shows, per framework, the controls its failing cases and gates fail', () => {
    expect(run.verdict).toBe('not-ready')
    expect(md.indexOf('## Control mapping')).toBeGreaterThan(md.indexOf('## Coverage'))
    expect(md).toContain('### NIST SP 800-53 (Rev. 5)')
    // escalate.tool-scope was refused but never recorded: access enforcement held, event logging failed
    expect(line('| ✅ | `AC-3` |')).toBe('| ✅ | `AC-3` | Access Enforcement | held: `escalate.tool-scope` | **held** |')
    expect(line('| ❌ | `AU-2` |')).toBe('| ❌ | `AU-2` | Event Logging | failed: `gatecrash_evidence_coverage` | **failed** |')
    // the jti-reuse warn the scenario raised to a gate fails replay resistance
    expect(line('| ❌ | `IA-2(8)` |')).toContain('failed: `replay.dpop-jti-reuse`')
    expect(line('| ✅ | `AC-14` |')).toBe('| ✅ | `AC-14` | Permitted Actions Without Identification or Authentication | held: `unattributed.no-credential` | **held** |')
    expect(md).toContain('### OWASP Top 10 for Agentic Applications (2026)')
    expect(line('| ❌ | `ASI07` |')).toContain('failed: `replay.dpop-jti-reuse`')
  })

  test('the controls the run did not exercise are listed, saying whether the catalog has a case for them', () => {
    const sp = md.split('### ').find((s) => s.startsWith('NIST SP 800-53')) ?? ''
    expect(sp).toMatch(/Not exercised by any case of the catalog: .*`AC-4` Information Flow Enforcement/)
    expect(sp).toMatch(/Not exercised by this run \(its cases were not selected or not covered\): .*`AC-2` Account Management/)
    expect(md).toMatch(/Not exercised by any case of the catalog: `ASI01` Agent Goal Hijack/)
  })
})

describe('the Markdown report: transactions rebuilt from the target\'s records, beside what the harness did', () => {
  const { run } = failingRun()
  const md = renderMarkdown(run)
  const section = md.slice(md.indexOf('## Reconstructed transactions'), md.indexOf('## Sample delegation chains'))

  test('a section after the evidence: counts, then each chain from evidence beside the harness\'s, by token hash prefix', () => {
    expect(md.indexOf('## Evidence')).toBeLessThan(md.indexOf('## Reconstructed transactions'))
    expect(section).toContain('3 transactions rebuilt from the target\'s records alone (2 legitimate, sampled by seed; 1 failing attack attempt): 2 followed to the principal\'s own token, 2 naming the principal and actors the harness used.')
    const first = section.split('\n').find((l) => l.includes('`trace0001`'))
    expect(first).toMatch(/^\| ✅ \| `trace0001` \| legitimate \| `user_1 → agent_1 → subagent_1` \| `user_1 → agent_1 → subagent_1` \| agent_1: `.{12}…` ← `.{12}…` \(held tickets:read\)<br>subagent_1: `.{12}…` ← `.{12}…` \(held tickets:read\) \| tickets\.read allow `ok` \(200\) \| — \|$/)
  })

  test('a failing attack that left no record: no chain, and why', () => {
    const line = section.split('\n').find((l) => l.includes('`trace0004`'))
    expect(line).toMatch(/^\| ❌ \| `trace0004` \| `escalate\.tool-scope` \| `user_1 → agent_1 → subagent_1` \| — \| — \| no record \| no record of the call joined it/)
  })

  test('no token hash is shown whole in the table, and no raw token anywhere', () => {
    expect(section).not.toMatch(/[A-Za-z0-9_-]{43}/)
    expect(section).not.toMatch(/eyJ/)
  })

  test('a target that records no token exchange: the section and a note under the title say it is not covered', () => {
    const notCovered = { sampled: 0, legit: 0, attacks: 0, rebuilt: 0, matched: 0, transactions: [], not_covered: 'the target records no token exchange' }
    const text = renderMarkdown({ ...run, reconstruction: notCovered })
    expect(text.split('## Run')[0]).toContain('> **Transactions not rebuilt from the trail.** Not covered: the target records no token exchange; the reconstruction gate does not apply.')
    expect(text).toContain('Not covered: the target records no token exchange. The `gatecrash_reconstruction` gate has nothing to judge.')
  })
})
