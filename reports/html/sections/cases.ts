/**
 * The per-case matrix: every attack case with its class, grading, the rule it tests and its
 * references, how many attempts it had and how they were graded. The rule is today's catalog
 * wording (run.json carries the refs, not the rule text), which is what a re-grade judges by too.
 */
import type { RunJson } from '../../../harness/contracts/run-json.ts'
import type { Verdict } from '../../../harness/contracts/verdict.ts'
import { counts, ruleOf } from '../../report-facts.ts'
import { code, esc, mark, table, text } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'

const STATE: Record<Verdict, 'ok' | 'bad' | 'warn' | 'none'> = {
  pass: 'ok',
  'not-covered': 'none',
  error: 'none',
  warn: 'warn',
  'false-deny': 'bad',
  unrecorded: 'bad',
  misattributed: 'bad',
  breach: 'bad',
}

export const badge = (v: Verdict): string => `<span class="badge badge-${esc(v)}">${esc(v)}</span>`
export const verdictMark = (v: Verdict): string => mark(STATE[v])

export const casesSection: HtmlSection = {
  id: 'cases',
  title: 'Attack cases',
  render(run: RunJson) {
    if (run.cases.length === 0) return sectionHtml(this, '<p>No attack cases were selected for this run.</p>')
    const failedBy = new Set(run.gates.filter((g) => !g.ok).flatMap((g) => g.cases))
    const rows = run.cases.map((r) => ({
      attrs: `data-case="${esc(r.id)}" data-verdict="${esc(r.verdict)}"`,
      cls: failedBy.has(r.id) ? 'failed' : '',
      cells: [
        verdictMark(r.verdict),
        code(r.id),
        text(r.class),
        text(r.grading.toUpperCase()),
        `<span class="rule">${text(ruleOf(r.id) ?? '—')}</span>`,
        r.refs.length > 0 ? r.refs.map(text).join('<br>') : '—',
        `<span class="num">${text(r.attempts)}</span>`,
        badge(r.verdict),
        text(counts(r.counts)),
      ],
    }))
    const body = `<p>One row per attack case; its verdict is the worst any of its attempts got. Rows behind a failed gate are highlighted.</p>\n` +
      table(['', 'case', 'class', 'grading', 'rule', 'references', 'attempts', 'verdict', 'attempts by verdict'], rows, { cls: 'matrix' })
    return sectionHtml(this, body)
  },
}
