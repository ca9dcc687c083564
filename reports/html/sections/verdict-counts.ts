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
      `block rate ${esc(pct(rateOf(run.metrics.gatecrash_block_rate)))}. The attack column sums the case matrix: attack attempts, plus the checks ` +
      `every run makes on each token issued and each record read (a check counts once per token or record it judged).</p>\n` +
      table(['', 'verdict', 'attacks and checks', 'legitimate', 'meaning'], rows, { cls: 'small' })
    // short: heading, text and table print on one page
    return sectionHtml(this, body, 'keep')
  },
}
