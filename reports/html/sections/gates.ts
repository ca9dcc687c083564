/** The gates: each threshold, what was observed, and for a failed gate the attack cases (or the detail) behind it. */
import type { RunJson } from '../../../harness/contracts/run-json.ts'
import { observed } from '../../format.ts'
import { gatesSentence } from '../../report-facts.ts'
import { code, codeWhole, esc, mark, table, text } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'

export const gatesSection: HtmlSection = {
  id: 'gates',
  title: 'Gates',
  render(run: RunJson) {
    const rows = run.gates.map((g) => ({
      attrs: `data-gate="${esc(g.metric)}" data-ok="${g.ok}"`,
      cls: g.ok ? '' : 'failed',
      cells: [
        mark(g.ok ? 'ok' : 'bad'),
        code(g.metric),
        codeWhole(g.expression),
        `<span class="num">${esc(observed(g.observed))}</span>`,
        text(g.source),
        g.ok ? '—' : [g.cases.length > 0 ? g.cases.map(code).join(', ') : '', g.detail ? text(g.detail) : ''].filter(Boolean).join(' — ') || '—',
      ],
    }))
    const body = `<p>${esc(gatesSentence(run.gates))} A gate is a k6-style threshold on a metric of the run; any failed gate makes the run NOT READY.</p>\n` +
      table(['ok', 'metric', 'threshold', 'observed', 'source', 'cases (or what failed) behind a failure'], rows, { cls: 'gates' })
    return sectionHtml(this, body)
  },
}
