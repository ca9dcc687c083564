/**
 * "Compared with <baseline>": what got worse since the baseline run (hard regressions, then figures
 * beyond their tolerance) and what got better, with the notes that make the two runs less
 * comparable. Only for a run made with `--baseline` (or re-graded with one); the lists and their
 * wording are the Markdown report's (comparison.ts).
 */
import type { RunJson } from '../../../harness/contracts/run-json.ts'
import { COMPARISON_NOTES_LEAD, comparisonLists, comparisonOutcome, type ChangeList } from '../../comparison.ts'
import { code, esc, mark, table, text } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'

function list(l: ChangeList, strict: boolean): string {
  const state = l.id === 'hard' || (l.id === 'soft' && strict) ? 'bad' : l.id === 'soft' ? 'warn' : 'ok'
  const out = [`<h3>${esc(l.title)}</h3>`]
  if (l.intro) out.push(`<p>${esc(l.intro)}</p>`)
  if (l.rows.length === 0) out.push(`<p class="muted" data-changes="${l.id}" data-count="0">${esc(l.empty)}</p>`)
  else {
    out.push(table(['', 'what', 'subject', 'baseline', 'now', 'change'], l.rows.map((r) => ({
      attrs: `data-change="${l.id}" data-subject="${esc(r.subject)}"`,
      cls: state === 'bad' ? 'failed' : '',
      cells: [mark(state), text(r.what), code(r.subject), text(r.baseline), text(r.now), text(r.detail)],
    }))))
  }
  return `<div class="keep">${out.join('\n')}</div>`
}

export const comparisonSection: HtmlSection = {
  id: 'comparison',
  title: 'Compared with the baseline',
  render(run: RunJson) {
    const c = run.comparison
    if (!c) return null
    const o = comparisonOutcome(c)
    const b = c.baseline
    const body = [
      `<p class="note${c.regressed ? ' bad' : ' ok'}" data-regressed="${c.regressed}">Baseline: run ${code(b.run_id)} (${text(b.scenario)} against ${text(b.target)}, ${text(b.verdict)}). ` +
        `${o.strong ? `<strong>${esc(o.strong)}</strong> ` : ''}${esc(o.text)}</p>`,
      ...comparisonLists(c).map((l) => list(l, c.strict)),
    ]
    if (c.notes.length > 0) body.push(`<p>${esc(COMPARISON_NOTES_LEAD)}</p>`, `<ul class="examples">${c.notes.map((n) => `<li>${text(n)}</li>`).join('')}</ul>`)
    return sectionHtml({ id: this.id, title: `Compared with ${code(b.run_id)}` }, body.join('\n'))
  },
}
