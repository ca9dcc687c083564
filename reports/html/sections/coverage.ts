/** Coverage: a board reads "not covered" as a gap in what the run proves, so each one says why. */
import type { RunJson } from '../../../harness/contracts/run-json.ts'
import { code, esc, table, text } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'

export const coverageSection: HtmlSection = {
  id: 'coverage',
  title: 'Coverage',
  render(run: RunJson) {
    const list = run.coverage ?? []
    if (list.length === 0) return null
    const missed = list.filter((c) => !c.covered)
    let body = `<p>${list.length - missed.length} of ${list.length} attack cases asked for were exercised against this target.</p>`
    if (missed.length > 0) {
      body += `\n<p><strong>Not covered</strong> (a gap in what this run proves, never a pass):</p>\n` +
        table(['case', 'attempts', 'why not covered'], missed.map((c) => ({ attrs: `data-not-covered="${esc(c.case)}"`, cells: [code(c.case), `<span class="num">${c.attempts}</span>`, text(c.reason ?? '—')] })))
    } else {
      body += '\n<p>Every case asked for was covered.</p>'
    }
    // short: heading, text and table print on one page
    return sectionHtml(this, body, 'keep')
  },
}
