/** Attempts per verdict, attacks beside legitimate traffic, each verdict with what it means. */
import type { RunJson } from '../../../harness/contracts/run-json.ts'
import { pct, rateOf } from '../../format.ts'
import { VERDICT_MEANING, verdictTotals } from '../../report-facts.ts'
import { esc, table } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'
import { badge, verdictMark } from './cases.ts'

export const verdictCountsSection: HtmlSection = {
  id: 'verdict-counts',
  title: 'Verdict counts',
  render(run: RunJson) {
    const rows = verdictTotals(run).map((t) => ({
      attrs: `data-verdict-count="${esc(t.verdict)}"`,
      cells: [verdictMark(t.verdict), badge(t.verdict), `<span class="num">${t.attacks}</span>`, `<span class="num">${t.legit}</span>`, esc(VERDICT_MEANING[t.verdict])],
    }))
    const success = pct(rateOf(run.metrics.gatecrash_legit_success))
    const body = `<p>${run.load.attacks} attack attempts and ${run.legit.attempts} legitimate ones; legitimate success ${esc(success)}, ` +
      `block rate ${esc(pct(rateOf(run.metrics.gatecrash_block_rate)))}.</p>\n` +
      table(['', 'verdict', 'attacks', 'legitimate', 'meaning'], rows)
    return sectionHtml(this, body)
  },
}
