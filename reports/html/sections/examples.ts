/**
 * Failing examples, to look up in the target's audit trail: attempts by trace id, an issued-token
 * check by the token's hash (never the token).
 */
import type { RunJson } from '../../../harness/contracts/run-json.ts'
import { exampleSubject } from '../../report-facts.ts'
import { code, esc, text } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'
import { badge } from './cases.ts'

export const examplesSection: HtmlSection = {
  id: 'examples',
  title: 'Failing examples',
  render(run: RunJson) {
    const failing = run.cases.filter((r) => r.examples.length > 0)
    if (failing.length === 0) return null
    const body = ["<p>Look these up in the target's audit trail by trace id; token checks name the token by its hash.</p>"]
    for (const r of failing) {
      body.push(`<h3 data-examples="${esc(r.id)}">${code(r.id)}</h3>`, '<ul class="examples">')
      for (const e of r.examples) {
        const s = exampleSubject(e)
        const who = s.kind === 'trace' ? `trace ${code(s.id!)}` : s.kind === 'token' ? `token hash ${code(s.id!)}` : 'check'
        body.push(`<li>${who} ${badge(e.verdict)} ${text(e.why)}</li>`)
      }
      body.push('</ul>')
    }
    return sectionHtml(this, body.join('\n'))
  },
}
