import { execFileSync } from 'node:child_process'
import { parse, type TestCase, type TestSuites } from 'junit2json'
import { describe, expect, test } from 'vitest'
import type { RunJson } from '../../../harness/contracts/run-json.ts'
import { renderJunit } from '../../../reports/junit.ts'
import { xmlAttr, xmlText } from '../../../reports/xml-escape.ts'
import { failingRun } from './run-fixture.ts'

/** xmllint reads the file from stdin; a non-zero exit throws with its complaint. */
function xmllint(xml: string): void {
  execFileSync('/usr/bin/xmllint', ['--noout', '-'], { input: xml, stdio: ['pipe', 'ignore', 'pipe'] })
}

async function read(xml: string): Promise<TestSuites> {
  return (await parse(xml)) as TestSuites
}

const testcases = (doc: TestSuites): TestCase[] => (doc.testsuite ?? []).flatMap((s) => s.testcase ?? [])
const named = (doc: TestSuites, name: string): TestCase => testcases(doc).find((c) => c.name === name)!

/** The fixture with every gate holding and the scenario's warn gate left out: what a READY run looks like. */
function readyRun(): RunJson {
  const { run } = failingRun()
  const gates = run.gates.filter((g) => !g.metric.startsWith('gatecrash_warns{case:replay')).map((g) => ({ ...g, ok: true, cases: [] }))
  return { ...run, verdict: 'ready', gates }
}

describe('xml-escape: text and attributes a parser reads back unchanged', () => {
  const nasty = `a <b> & "c" 'd' ]]> e\u0001f\u001b\ttab\nline`

  test('text escapes markup and `]]>`, shows forbidden control characters instead of writing them', () => {
    expect(xmlText(nasty)).toBe(`a &lt;b&gt; &amp; "c" 'd' ]]&gt; e\\u0001f\\u001b\ttab\nline`)
  })

  test('attributes also escape both quotes and keep tab and line breaks as character references', () => {
    expect(xmlAttr(nasty)).toBe('a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; ]]&gt; e\\u0001f\\u001b&#9;tab&#10;line')
  })

  test('lone surrogates and U+FFFE are not XML characters; a real pair (an emoji) stays', () => {
    expect(xmlText('x\uD800y\uDFFFz\uFFFE 😀')).toBe('x\\ud800y\\udfffz\\ufffe 😀')
  })

  test('a case reason with all of them: xmllint accepts the file and a reader gets the reason back', async () => {
    const { run } = failingRun()
    const row = run.cases.find((c) => c.id === 'unattributed.no-credential')!
    const reasons: RunJson['coverage'] = [{ case: row.id, covered: false, attempts: 0, reason: nasty }]
    const xml = renderJunit({ ...run, cases: [{ ...row, attempts: 0, counts: {}, verdict: 'not-covered' }], coverage: reasons })
    xmllint(xml)
    expect(xml).not.toContain('\u0001')
    const skipped = named(await read(xml), row.id).skipped?.[0]
    expect(skipped?.message).toBe(`not covered: a <b> & "c" 'd' ]]> e\\u0001f\\u001b\ttab\nline`)
  })
})

describe('junit.xml from run.json', () => {
  test('NOT READY: the case behind a failed gate fails with its rule, the gate and its trace ids', async () => {
    const { run } = failingRun()
    const xml = renderJunit(run)
    xmllint(xml)
    const doc = await read(xml)
    expect(doc.name).toBe('gatecrash sandbox-validation → reference')
    const failedGates = run.gates.filter((g) => !g.ok).length
    expect(doc).toMatchObject({ tests: run.cases.length + run.gates.length, failures: 2 + failedGates, errors: 0 })
    expect(doc.testsuite?.map((s) => s.name)).toEqual(['gates', 'escalate', 'replay', 'unattributed', 'evidence'])

    const failure = named(doc, 'escalate.tool-scope').failure?.[0]
    expect(failure?.type).toBe('unrecorded')
    // unrecorded, so its transaction cannot be rebuilt from the trail either
    expect(failure?.message).toBe('unrecorded: fails gatecrash_evidence_coverage rate==1: observed 0.8333; gatecrash_reconstruction rate==1: observed 0.6667')
    expect(failure?.inner).toContain('rule: RFC 6750 §3.1')
    expect(failure?.inner).toContain('- trace trace0004 — unrecorded: refused with 403')

    const gate = named(doc, 'gatecrash_evidence_coverage rate==1')
    expect(gate.classname).toBe('gatecrash.gates')
    expect(gate.failure?.[0].message).toBe('gatecrash_evidence_coverage rate==1: observed 0.8333 (escalate.tool-scope)')
    expect(named(doc, 'unattributed.no-credential').failure).toBeUndefined()
    expect(named(doc, 'gatecrash_breaches count==0').failure).toBeUndefined()
  })

  test('a latency gate blaming a case whose attempts all passed fails it too, typed by the gate', async () => {
    const run = readyRun()
    const gates = run.gates.map((g) => (g.metric === 'http_req_duration' ? { ...g, ok: false, observed: 300, cases: ['unattributed.no-credential'] } : g))
    const doc = await read(renderJunit({ ...run, verdict: 'not-ready', gates }))
    expect(doc.failures).toBe(2)
    expect(named(doc, 'unattributed.no-credential').failure?.[0]).toMatchObject({ type: 'gate', message: 'pass: fails http_req_duration p(95)<250: observed 300' })
  })

  test('the run identity is a property list on the gates suite', async () => {
    const doc = await read(renderJunit(failingRun().run))
    const props = Object.fromEntries((doc.testsuite?.[0].properties ?? []).map((p) => [p.name, String(p.value)]))
    expect(props).toMatchObject({ run_id: 'r-20261126-0300-abcd', verdict: 'not-ready', seed: '42', target: 'reference 0.1.0', grader: '1' })
  })

  test('READY: no failures, and a warn no gate judges passes with its reason in system-out', async () => {
    const xml = renderJunit(readyRun())
    xmllint(xml)
    const doc = await read(xml)
    expect(doc).toMatchObject({ failures: 0, errors: 0, skipped: 0 })
    const out = named(doc, 'replay.dpop-jti-reuse')['system-out']?.join('\n') ?? ''
    expect(out).toContain('replay.dpop-jti-reuse (replay, should): warn')
    expect(out).toContain("no gate judges this verdict (a scenario threshold gatecrash_warns{case:replay.dpop-jti-reuse}: ['count==0'] would make it fail)")
    expect(out).toContain('- trace trace0005 — warn: accepted with 200')
  })

  test('a case not covered is skipped with the reason, not passed', async () => {
    const run = readyRun()
    const coverage = run.coverage!.map((c) => (c.case === 'unattributed.no-credential' ? { ...c, covered: false, reason: 'the target offers no unauthenticated route' } : c))
    const doc = await read(renderJunit({ ...run, coverage }))
    expect(doc).toMatchObject({ skipped: 1, failures: 0 })
    expect(named(doc, 'unattributed.no-credential').skipped?.[0].message).toBe('not covered: the target offers no unauthenticated route')
  })

  test('a run stopped early has an erroring `run complete` testcase, so it is not green either', async () => {
    const doc = await read(renderJunit({ ...readyRun(), verdict: 'incomplete', stopped: 'stopped by the user (SIGINT)' }))
    expect(doc).toMatchObject({ errors: 1, failures: 0 })
    expect(named(doc, 'run complete').error?.[0].message).toBe('stopped early: stopped by the user (SIGINT)')
  })

  test('no raw token: a token in a target\'s free text is redacted, token hashes stay', () => {
    const { run } = failingRun()
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJl'
    const cases = run.cases.map((c) => (c.id === 'escalate.tool-scope' ? { ...c, examples: [{ trace_id: '', token_hash: 'hAsH_0123', verdict: 'unrecorded' as const, why: `echoed Bearer ${jwt}` }] } : c))
    const xml = renderJunit({ ...run, cases })
    expect(xml).not.toContain(jwt)
    expect(xml).toContain('- token sha-256 hAsH_0123 — unrecorded: echoed Bearer [redacted token]')
  })
})
