/** Sample delegation chains, by id only: who acted for whom, and the scope the last hop held. */
import type { RunJson } from '../../../harness/contracts/run-json.ts'
import { code, table } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'

export const delegationSection: HtmlSection = {
  id: 'delegation',
  title: 'Sample delegation chains',
  render(run: RunJson) {
    if (run.delegation_samples.length === 0) return null
    const rows = run.delegation_samples.map((d) => ({ cells: [code(d.principal), d.chain.map(code).join(' → '), code(d.scope)] }))
    return sectionHtml(this, `<p>A few of the run's delegation chains (principal → agent → sub-agent), by id only.</p>\n${table(['principal', 'acting for them', 'scope of the last hop'], rows)}`)
  },
}
