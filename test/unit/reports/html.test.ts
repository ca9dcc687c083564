/**
 * report.html without a browser (test/e2e/report-html.test.ts opens it in Chromium): every value is
 * escaped, every gate and case is there to find by data attribute, the sections come in the order a
 * board reads them, and the page fetches nothing — no external script, style, font or image.
 */
import { describe, expect, test } from 'vitest'
import type { FaultResult, RunJson, TimelineBucket } from '../../../harness/contracts/run-json.ts'
import { renderHtml, SECTIONS } from '../../../reports/html/render.ts'
import { sectionHtml } from '../../../reports/html/section.ts'
import { failingRun } from './run-fixture.ts'

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
    for (const prefix of ['evil', 'flaw', 'case', 'trace', 'why', 'cov', 'reason', 'gate', 'detail', 'chain', 'problem', 'outage', 'line', 'user', 'scope', 'label']) {
      expect(html, prefix).toContain(`${prefix}${shown}`)
    }
  })

  test('attribute values round-trip: the hostile case id and gate metric are found whole in data-case / data-gate', () => {
    expect(attrValues(html, 'data-case')).toContain(`case${HOSTILE}`)
    expect(attrValues(html, 'data-gate')).toContain(`gate${HOSTILE}`)
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
    const order = ['verdict', 'gates', 'cases', 'verdict-counts', 'coverage', 'examples', 'faults', 'latency', 'evidence', 'delegation', 'sign-off']
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

  test('extension point: a section is one entry in the list (e.g. the control mapping after the gates)', () => {
    const controls = { id: 'controls', title: 'Control mapping', render: () => sectionHtml({ id: 'controls', title: 'Control mapping' }, '<p>mapped</p>') }
    const sections = [SECTIONS[0], controls, ...SECTIONS.slice(1)]
    const out = renderHtml(run, sections)
    expect(out.indexOf('data-section="controls"')).toBeGreaterThan(out.indexOf('data-section="gates"'))
    expect(out.indexOf('data-section="controls"')).toBeLessThan(out.indexOf('data-section="cases"'))
    expect(out).toContain('<a href="#controls">Control mapping</a>')
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
