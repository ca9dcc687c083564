/**
 * report.html without a browser (test/e2e/report-html.test.ts opens it in Chromium): every value is
 * escaped, every gate, case, control and rebuilt transaction is there to find by data attribute,
 * the sections come in the order a board reads them, and the page fetches nothing — no external
 * script, style, font or image.
 */
import { describe, expect, test } from 'vitest'
import { compareRuns } from '../../../harness/compare/compare-runs.ts'
import type { FaultResult, RunJson, TimelineBucket } from '../../../harness/contracts/run-json.ts'
import { renderHtml, SECTIONS } from '../../../reports/html/render.ts'
import { sectionHtml } from '../../../reports/html/section.ts'
import { comparedRun, failingRun, FIXTURE_TOKENS } from './run-fixture.ts'

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>'"&`
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJl'

/** The page's text without the break opportunities code spans get at their separators. */
const flat = (html: string): string => html.replaceAll('<wbr>', '')
const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
const attrValues = (html: string, name: string): string[] => [...html.matchAll(new RegExp(`${name}="([^"]*)"`, 'g'))].map((m) => unescape(m[1]))

const fault: FaultResult = {
  id: 'f1',
  kind: 'latency',
  component: 'replay-store',
  label: 'latency replay-store 2s–4s',
  detail: 'latency 100 ms on replay-store',
  at_s: 2,
  for_s: 2,
  start: '2026-11-26T03:00:02.000Z',
  end: '2026-11-26T03:00:04.000Z',
  healed: true,
  error: null,
  ttr_s: 1,
  recovered: true,
  recover_within_s: 2,
  during: { attempts: 200, rate: 100, p95_ms: 251.5, block_rate: 1, legit_success: 0.2, breaches: 0, unrecorded: 0, gap_covered: 0 },
}
const timeline: TimelineBucket[] = Array.from({ length: 8 }, (_, t) => ({
  t_s: t, attempts: 100, legit: 90, attacks: 10, p95_ms: t === 3 ? 180 : 12, block_rate: 1, legit_success: t === 3 ? 0.4 : 1, breaches: t === 5 ? 1 : 0, errors: 0, faults: t >= 2 && t < 4 ? ['f1'] : [],
}))

function hostileRun(): RunJson {
  const { run } = failingRun()
  const r = structuredClone(run)
  r.target.name = `evil${HOSTILE}`
  r.target.flaws = [`flaw${HOSTILE}`]
  r.stopped = `stopped${HOSTILE} Bearer ${JWT}`
  r.cases[0].id = `case${HOSTILE}`
  r.cases[0].examples = [{ trace_id: `trace${HOSTILE}`, verdict: 'unrecorded', why: `why${HOSTILE} Bearer ${JWT}` }]
  r.coverage = [{ case: `cov${HOSTILE}`, covered: false, attempts: 0, reason: `reason${HOSTILE}` }]
  r.gates[0] = { ...r.gates[0], metric: `gate${HOSTILE}`, ok: false, detail: `detail${HOSTILE}`, cases: [`case${HOSTILE}`] }
  r.evidence.chains = [{ component: `chain${HOSTILE}`, records: 3, ok: false, problem: `problem${HOSTILE}` }]
  r.evidence.outages = [{ from: '2026-11-26T03:00:03.000Z', to: null, polls: 2, error: `outage${HOSTILE}` }]
  r.evidence.unmapped = { count: 1, examples: [`line${HOSTILE}`] }
  r.delegation_samples = [{ principal: `user${HOSTILE}`, chain: ['agent_1'], scope: `scope${HOSTILE}` }]
  r.faults = [{ ...fault, label: `label${HOSTILE}`, detail: `detail${HOSTILE}`, id: `f${HOSTILE}` }]
  r.timeline = timeline.map((b) => ({ ...b, faults: b.faults.length ? [`f${HOSTILE}`] : [] }))
  const sp = r.controls!.find((f) => f.framework === 'nist-800-53')!
  sp.name = `framework${HOSTILE}`
  sp.controls[1] = { ...sp.controls[1], id: `control${HOSTILE}`, title: `title${HOSTILE}`, evidence: [{ kind: 'case', id: `evidence${HOSTILE}`, result: 'failed' }] }
  sp.not_exercised[0] = { ...sp.not_exercised[0], id: `missing${HOSTILE}`, title: `gap${HOSTILE}`, why: 'not-in-catalog' }
  const t = r.reconstruction!.transactions[0]
  t.trace_id = `txn${HOSTILE}`
  t.mismatch = `mismatch${HOSTILE} Bearer ${JWT}`
  t.hops[0] = { ...t.hops[0], client_id: `client${HOSTILE}`, scope_held: [`held${HOSTILE}`] }
  r.comparison = compareRuns(failingRun().run, failingRun().run)
  r.comparison.baseline.run_id = `baseline${HOSTILE}`
  r.comparison.notes = [`note${HOSTILE} Bearer ${JWT}`]
  r.comparison.hard = [{ kind: 'case', subject: `subject${HOSTILE}`, baseline: 'pass', now: `now${HOSTILE}`, detail: `change${HOSTILE}` }]
  return r
}

describe('report.html: escaping', () => {
  const html = flat(renderHtml(hostileRun()))

  test('hostile case ids, reasons, target names, gates, chains, outages and faults show as text, never as markup', () => {
    expect(html).not.toContain('<script>')
    expect(html).not.toContain('<img')
    // no tag carries an event handler once its quoted attribute values (escaped text) are set aside
    const tags = [...html.matchAll(/<[a-z][^>]*>/gi)].map((m) => m[0].replace(/"[^"]*"/g, '""'))
    expect(tags.filter((t) => /\son\w+\s*=/i.test(t))).toEqual([])
    const shown = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&quot;&amp;'
    for (const prefix of ['evil', 'flaw', 'case', 'trace', 'why', 'cov', 'reason', 'gate', 'detail', 'chain', 'problem', 'outage', 'line', 'user', 'scope', 'label',
      'framework', 'control', 'title', 'evidence', 'missing', 'gap', 'txn', 'mismatch', 'client', 'held', 'baseline', 'note', 'subject', 'now', 'change']) {
      expect(html, prefix).toContain(`${prefix}${shown}`)
    }
  })

  test('attribute values round-trip: the hostile case id, gate metric, control, trace and change subject are found whole in their data attributes', () => {
    expect(attrValues(html, 'data-case')).toContain(`case${HOSTILE}`)
    expect(attrValues(html, 'data-gate')).toContain(`gate${HOSTILE}`)
    expect(attrValues(html, 'data-control')).toContain(`control${HOSTILE}`)
    expect(attrValues(html, 'data-missing-control')).toContain(`missing${HOSTILE}`)
    expect(attrValues(html, 'data-transaction')).toContain(`txn${HOSTILE}`)
    expect(attrValues(html, 'data-subject')).toContain(`subject${HOSTILE}`)
  })

  test('no token in the page: token-shaped strings are redacted', () => {
    expect(html).not.toContain(JWT)
    expect(html).toContain('[redacted token]')
  })
})

describe('report.html: content for an approval board', () => {
  const { run } = failingRun()
  const html = flat(renderHtml({ ...run, faults: [fault], timeline }))

  test('the verdict comes first, big, with the one-line why naming the failed gates', () => {
    const verdict = html.indexOf('data-verdict="not-ready"')
    expect(verdict).toBeGreaterThan(0)
    expect(verdict).toBeLessThan(html.indexOf('data-section="gates"'))
    expect(html).toMatch(/<div class="word">NOT READY<\/div>/)
    const why = /<div class="why" data-why>(.*?)<\/div>/.exec(html)![1]
    // the fixture's coverage, jti-reuse and reconstruction gates fail
    expect(why).toMatch(/^3 of \d+ gates failed: /)
    expect(why).toContain('<code>gatecrash_evidence_coverage</code> (escalate.tool-scope)')
  })

  test('every gate and every case id is present, by data attribute', () => {
    expect(attrValues(html, 'data-gate').sort()).toEqual(run.gates.map((g) => g.metric).sort())
    expect(attrValues(html, 'data-case').sort()).toEqual(run.cases.map((c) => c.id).sort())
    // a failed gate names the cases feeding it
    const row = html.split('\n').find((l) => l.includes('data-gate="gatecrash_evidence_coverage"'))!
    expect(row).toContain('data-ok="false"')
    expect(row).toContain('<code>escalate.tool-scope</code>')
  })

  test('long ids may wrap at their separators, never mid-word', () => {
    expect(renderHtml(run)).toContain('<code>escalate.<wbr>tool-<wbr>scope</code>')
  })

  test('the case matrix carries grading, the rule and the references', () => {
    const row = html.split('\n').find((l) => l.includes('data-case="escalate.tool-scope"'))!
    expect(row).toContain('MUST')
    expect(row).toContain('RFC 6750 §3.1')
    expect(row).toMatch(/class="rule">[^<]{20,}/)
  })

  test('sections in the order a board reads them', () => {
    const order = ['verdict', 'gates', 'controls', 'cases', 'verdict-counts', 'coverage', 'examples', 'reconstruction', 'faults', 'latency', 'evidence', 'delegation', 'sign-off']
    const at = order.map((id) => html.indexOf(`data-section="${id}"`))
    expect(at.every((i) => i > 0), JSON.stringify(at)).toBe(true)
    expect([...at].sort((a, b) => a - b)).toEqual(at)
  })

  test('failing examples by trace id; the sign-off block with the signature note (written before any signing: it points to gatecrash verify)', () => {
    expect(html).toContain('trace <code>trace0004</code>')
    expect(html).toContain('<strong>Signature.</strong>')
    expect(html).toContain('gatecrash verify &lt;run-dir&gt; --key')
    expect(attrValues(html, 'data-signer')).toEqual(['1', '2', '3'])
  })

  test('a token check is named by its token hash', () => {
    const r = structuredClone(run)
    r.cases[0].examples = [{ trace_id: '', token_hash: 'sha256:abc123', verdict: 'breach', why: 'typ is JWT' }]
    expect(flat(renderHtml(r))).toContain('token hash <code>sha256:abc123</code>')
  })

  test('charts: the fault timeline with its window shaded, a legend and axis labels; latency percentiles', () => {
    expect(html).toContain('data-chart="timeline"')
    expect(html).toMatch(/<rect [^>]*class="fault-window" data-fault="f1"/)
    expect(html).toContain('seconds from the start of the measured phase')
    expect(html).toContain('fault in effect')
    expect(html).toContain('data-chart="latency"')
    expect(html).toContain('milliseconds from the scheduled time')
    // the scenario's p(95)<250 gate is drawn on the latency chart
    expect(html).toMatch(/gate p95 &lt; 250 ms \(all requests\): (held|failed)/)
  })

  test('no faults: no timeline chart and no faults section', () => {
    const plain = renderHtml(run)
    expect(plain).not.toContain('data-chart="timeline"')
    expect(plain).not.toContain('data-section="faults"')
  })

  test('evidence integrity: an unchained source, outages and unmapped lines are shown', () => {
    const r = structuredClone(run)
    r.evidence = { ...r.evidence, integrity: 'unchained', source: 'jsonl', chains: [], outages: [{ from: 'a', to: 'b', polls: 3, error: 'ECONNREFUSED' }], unmapped: { count: 4, examples: ['not json'] } }
    const out = flat(renderHtml(r))
    expect(out).toContain('data-unchained')
    expect(out).toContain('<strong>Audit trail not tamper-evident.</strong>')
    expect(out).toContain('ECONNREFUSED')
    expect(out).toContain('data-unmapped="4"')
  })

  test('extension point: a section is one entry in the list (e.g. a glossary after the gates)', () => {
    const glossary = { id: 'glossary', title: 'Glossary', render: () => sectionHtml({ id: 'glossary', title: 'Glossary' }, '<p>terms</p>') }
    const sections = [SECTIONS[0], glossary, ...SECTIONS.slice(1)]
    const out = renderHtml(run, sections)
    expect(out.indexOf('data-section="glossary"')).toBeGreaterThan(out.indexOf('data-section="gates"'))
    expect(out.indexOf('data-section="glossary"')).toBeLessThan(out.indexOf('data-section="controls"'))
    expect(out).toContain('<a href="#glossary">Glossary</a>')
  })
})

/** A section's markup, from its opening tag to the next section's. */
const sectionOf = (html: string, id: string): string => {
  const at = html.indexOf(`<section id="${id}"`)
  expect(at, id).toBeGreaterThan(0)
  return html.slice(at, html.indexOf('</section>', at))
}
const rowOf = (html: string, attr: string): string => html.split('\n').find((l) => l.includes(attr)) ?? ''

describe('report.html: control mapping', () => {
  const { run } = failingRun()
  const html = flat(renderHtml(run))
  const section = sectionOf(html, 'controls')

  test('every framework and every mapped control is there, by data attribute', () => {
    expect(attrValues(section, 'data-framework-summary')).toEqual(run.controls!.map((f) => f.framework))
    const rows = [...section.matchAll(/<tr data-control="([^"]*)" data-framework="([^"]*)" data-status="([^"]*)"/g)].map((m) => `${m[2]} ${m[1]} ${m[3]}`)
    expect(rows).toEqual(run.controls!.flatMap((f) => f.controls.map((c) => `${f.framework} ${c.id} ${c.status}`)))
    expect(section).toContain('<h3>NIST SP 800-53 <span class="edition">Rev. 5</span></h3>')
    expect(section).toContain('6 of 22 mapped controls held, 7 failed, 9 not exercised.')
  })

  test('a control that held names the case behind it; a failed one is marked and names the failing gate or case', () => {
    // escalate.tool-scope was refused but never recorded: access enforcement held, event logging failed
    const ac3 = rowOf(section, 'data-control="AC-3" data-framework="nist-800-53"')
    expect(ac3).toContain('data-status="held"')
    expect(ac3).toContain('Access Enforcement')
    expect(ac3).toContain('<span class="ev ev-held">held:</span> <code>escalate.tool-scope</code>')
    expect(ac3).toContain('<span class="badge badge-held">held</span>')
    const au2 = rowOf(section, 'data-control="AU-2" data-framework="nist-800-53"')
    expect(au2).toContain('class="failed"')
    expect(au2).toContain('<span class="ev ev-failed">failed:</span> <code>gatecrash_evidence_coverage</code>')
    expect(au2).toContain('<span class="badge badge-failed">failed</span>')
    expect(au2).toContain('aria-label="failed"')
    expect(rowOf(section, 'data-control="ASI07" data-framework="owasp-asi"')).toContain('<code>replay.dpop-jti-reuse</code>')
    expect(rowOf(section, 'data-control="AC-2" data-framework="nist-800-53"')).toContain('<span class="badge badge-not-exercised">not exercised</span>')
  })

  test('the controls not exercised: counted when they are rows already, listed when no case of the catalog speaks to them', () => {
    expect(section).toContain('Not exercised by this run (its cases were not selected or not covered): the 9 rows marked not exercised above.')
    expect(section).toMatch(/Not exercised by any case of the catalog:<\/p>\n<ul class="controls-missing" data-not-exercised="not-in-catalog"><li data-missing-control="ASI01"><code class="nowrap">ASI01<\/code> Agent Goal Hijack<\/li>/)
    expect(section).toContain('<li data-missing-control="AC-4"><code class="nowrap">AC-4</code> Information Flow Enforcement</li>')
  })

  test('runs made before the mapping was reported have no section and no entry in the contents', () => {
    const old = renderHtml({ ...run, controls: undefined })
    expect(old).not.toContain('data-section="controls"')
    expect(old).not.toContain('href="#controls"')
  })
})

describe('report.html: reconstructed transactions', () => {
  const { run } = failingRun()
  const html = flat(renderHtml(run))
  const section = sectionOf(html, 'reconstruction')
  const prefix = (h: string): string => `<code class="hash">${h.slice(0, 12)}…</code>`

  test('the counts sentence, then a row per transaction with the harness\'s chain over the one rebuilt from evidence', () => {
    expect(section).toContain('3 transactions rebuilt from the target&#39;s records alone (2 legitimate, sampled by seed; 1 failing attack attempt): 2 followed to the principal&#39;s own token, 2 naming the principal and actors the harness used.')
    expect(section).toContain('<code>npx gatecrash trace &lt;run-dir&gt; &lt;trace-id&gt;</code>')
    expect(attrValues(section, 'data-transaction')).toEqual(run.reconstruction!.transactions.map((t) => t.trace_id))
    const first = rowOf(section, 'data-transaction="trace0001"')
    expect(first).toContain('data-matched="true"')
    expect(first).toContain('aria-label="ok"')
    const chain = '<span class="chain"><code>user_1</code> → <code>agent_1</code> → <code>subagent_1</code></span>'
    expect(first).toContain(`<span class="muted">harness:</span> ${chain}`)
    // the same parties rebuilt: said, not printed twice
    expect(first).toContain('<span class="muted">evidence:</span> <span class="same">the same</span>')
    expect(first).toContain('<code>trace0001</code><div class="muted">legitimate</div>')
    expect(section).not.toContain('data-listed')
  })

  test('a chain rebuilt with other parties is printed beside the harness\'s', () => {
    const r = structuredClone(run)
    r.reconstruction!.transactions[0] = { ...r.reconstruction!.transactions[0], rebuilt: { principal: 'user_2', actors: ['agent_1'] }, matched: false, mismatch: 'the records name user_2' }
    const row = rowOf(sectionOf(flat(renderHtml(r)), 'reconstruction'), 'data-transaction="trace0001"')
    expect(row).toContain('<span class="muted">evidence:</span> <span class="chain"><code>user_2</code> → <code>agent_1</code></span>')
    expect(row).toContain('class="failed"')
    expect(row).toContain('the records name user_2')
  })

  test('a table listing fewer transactions than were judged says how many it lists', () => {
    const r = structuredClone(run)
    r.reconstruction!.transactions = r.reconstruction!.transactions.slice(0, 2)
    expect(sectionOf(flat(renderHtml(r)), 'reconstruction')).toContain('<span data-listed="2">The table lists 2 of the 3: every legitimate one and the first 0 failing attack attempts, mismatches first; run.json counts all of them.</span>')
  })

  test('each hop: the client, the issued token\'s hash prefix ← the subject token\'s, the scope held', () => {
    const first = rowOf(section, 'data-transaction="trace0001"')
    expect(first).toContain(`<li>agent_1: ${prefix(FIXTURE_TOKENS.agent)} ← ${prefix(FIXTURE_TOKENS.principal)} <span class="muted">(held tickets:read)</span></li>`)
    expect(first).toContain(`<li>subagent_1: ${prefix(FIXTURE_TOKENS.sub)} ← ${prefix(FIXTURE_TOKENS.agent)} <span class="muted">(held tickets:read)</span></li>`)
    expect(first).toContain('tickets.read allow <code>ok</code> (200)')
  })

  test('an attack that left no record: marked, not rebuilt, and why', () => {
    const row = rowOf(section, 'data-transaction="trace0004"')
    expect(row).toContain('data-matched="false"')
    expect(row).toContain('class="failed"')
    expect(row).toContain('<code>escalate.tool-scope</code>')
    expect(row).toContain('<span class="muted">evidence:</span> <strong>not rebuilt</strong>')
    expect(row).toContain('no record of the call joined it: the trail does not show it happened')
  })

  test('no token hash is shown whole on the page, and no raw token', () => {
    for (const h of Object.values(FIXTURE_TOKENS)) expect(html).not.toContain(h)
    expect(section).not.toMatch(/[A-Za-z0-9_-]{43}/)
    expect(section).not.toMatch(/eyJ/)
  })

  test('a target that records no token exchange: the section says it is not covered and the gate does not apply', () => {
    const notCovered = { sampled: 0, legit: 0, attacks: 0, rebuilt: 0, matched: 0, transactions: [], not_covered: 'the target records no token exchange' }
    const out = flat(renderHtml({ ...run, reconstruction: notCovered }))
    const s = sectionOf(out, 'reconstruction')
    expect(s).toContain('data-reconstruction-not-covered')
    expect(s).toContain('Not covered: the target records no token exchange. The <code>gatecrash_reconstruction</code> gate has nothing to judge.')
    expect(s).not.toContain('data-transaction')
    expect(out).toContain('<strong>Transactions not rebuilt from the trail.</strong>')
  })
})

describe('report.html: compared with a baseline', () => {
  const compared = comparedRun
  const html = flat(renderHtml(compared()))
  const section = sectionOf(html, 'comparison')

  test('"Compared with <baseline run id>" right after the gates, in the contents', () => {
    expect(html.indexOf('data-section="comparison"')).toBeGreaterThan(html.indexOf('data-section="gates"'))
    expect(html.indexOf('data-section="comparison"')).toBeLessThan(html.indexOf('data-section="controls"'))
    expect(section).toContain('<h2>Compared with <code>r-baseline</code></h2>')
    expect(html).toContain('<a href="#comparison">Compared with the baseline</a>')
    expect(section).toContain('data-regressed="true"')
    expect(section).toContain('Baseline: run <code>r-baseline</code> (sandbox-validation against reference 0.1.0, not-ready). <strong>Regressed:</strong> 2 hard regressions.')
  })

  test('hard regressions, soft changes with the tolerance, improvements, and the notes', () => {
    const hard = rowOf(section, 'data-change="hard" data-subject="replay.dpop-jti-reuse"')
    expect(hard).toContain('class="failed"')
    expect(hard).toContain('<td>pass</td><td>warn</td><td>pass → warn (1 of 1 attempts warn)</td>')
    expect(attrValues(section, 'data-subject')).toEqual(['replay.dpop-jti-reuse', 'gatecrash_warns{case:replay.dpop-jti-reuse} count==0', 'http_req_duration p95'])
    expect(section).toContain('Latency within +100 % and +350 ms, evidence lag within +50 % and +1000 ms, is run-to-run noise.')
    const soft = rowOf(section, 'data-change="soft"')
    expect(soft).toContain('aria-label="warning"')
    expect(soft).toContain('<td>20 ms</td><td>600 ms</td><td>20.0 → 600 ms (+2900 %; tolerance +100 % and +350 ms)</td>')
    expect(section).toContain('<p class="muted" data-changes="improvements" data-count="0">None.</p>')
    expect(section).toContain('<li>the baseline itself is not-ready: what held there is compared, not its verdict</li>')
  })

  test('under --strict a soft change is marked as failing too', () => {
    expect(rowOf(sectionOf(flat(renderHtml(compared(true))), 'comparison'), 'data-change="soft"')).toContain('aria-label="failed"')
  })

  test('no baseline, no section', () => {
    expect(renderHtml(failingRun().run)).not.toContain('data-section="comparison"')
  })
})

describe('report.html is self-contained', () => {
  for (const [name, html] of [['failing run with faults', renderHtml({ ...failingRun().run, faults: [fault], timeline })], ['hostile run', renderHtml(hostileRun())]] as const) {
    test(`${name}: nothing fetched — no external src/href, no script, no @import, url() only to data:`, () => {
      expect(html).not.toMatch(/\b(?:src|href|xlink:href|action|poster|srcset)\s*=\s*["']?\s*(?:https?:|\/\/)/i)
      expect(html).not.toMatch(/<script\b/i)
      expect(html).not.toMatch(/<link\b/i)
      expect(html).not.toMatch(/@import/i)
      for (const m of html.matchAll(/url\(\s*['"]?([^)'"]*)/gi)) expect(m[1]).toMatch(/^data:/)
      // every link is an in-page anchor
      for (const m of html.matchAll(/\bhref="([^"]*)"/g)) expect(m[1]).toMatch(/^#/)
      // the page forbids fetching anything itself
      expect(html).toContain(`content="default-src 'none'`)
    })
  }
})
