/**
 * Evidence integrity: how much of the traffic the audit trail shows and whether it can be trusted —
 * each writer's hash chain, a source without one, the stretches it could not be read (outages), and
 * the lines that could not be mapped to records.
 */
import type { RunJson } from '../../../harness/contracts/run-json.ts'
import { pct, rateOf } from '../../format.ts'
import { code, esc, mark, table, text } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'

export const evidenceSection: HtmlSection = {
  id: 'evidence',
  title: 'Evidence integrity',
  render(run: RunJson) {
    const e = run.evidence
    const body: string[] = [
      `<p>${e.records} records read${e.source ? ` from ${code(e.source)}` : ''}; ${e.matched} joined to attempts; ${e.late} arrived after the settle window${e.tampered ? `; <strong>${e.tampered} altered after writing</strong> (counted as no evidence)` : ''}. ` +
        `Evidence coverage ${esc(pct(rateOf(run.metrics.gatecrash_evidence_coverage)))}, attribution accuracy ${esc(pct(rateOf(run.metrics.gatecrash_attribution_accuracy)))}.</p>`,
    ]
    if (e.integrity === 'unchained') {
      body.push(`<p class="note bad" data-unchained><strong>Not tamper-evident.</strong> The evidence source${e.source ? ` (${code(e.source)})` : ''} carries no hash chain: nothing shows the records were not cut or rewritten afterwards.</p>`)
    }
    if (e.chains.length > 0) {
      // each subsection's heading and text stay on the page of its table (.keep)
      body.push(`<div class="keep"><h3>Hash chains</h3><p>Every writer's chain is checked from the head read before the run (links and hashes), against every head the source reported during and after the run (nothing cut back or rewritten).</p>`)
      body.push(table(['ok', 'hash chain (writer)', 'records', 'problem'], e.chains.map((c) => ({
        attrs: `data-chain="${esc(c.component)}"`,
        cls: c.ok ? '' : 'failed',
        cells: [mark(c.ok ? 'ok' : 'bad'), code(c.component), `<span class="num">${c.records}</span>`, c.problem ? text(c.problem) : '—'],
      }))), '</div>')
    }
    if (e.outages?.length) {
      body.push(`<div class="keep"><h3>Outages</h3><p>The evidence source could not be read ${e.outages.length === 1 ? 'once' : `${e.outages.length} times`} while measuring. What it delivered before stays; the final read after the settle window decides what is graded, and an attempt whose record it never delivered counts as unrecorded.</p>`)
      body.push(table(['from', 'to', 'failed polls', 'error'], e.outages.map((o) => ({ attrs: 'data-outage', cells: [text(o.from), o.to ? text(o.to) : 'end of measuring', String(o.polls), text(o.error)] }))), '</div>')
    }
    if (e.unmapped && e.unmapped.count > 0) {
      const more = e.unmapped.count > e.unmapped.examples.length ? `<li>… and ${e.unmapped.count - e.unmapped.examples.length} more</li>` : ''
      body.push(`<div class="keep"><h3>Unmapped lines</h3><p data-unmapped="${e.unmapped.count}"><strong>${e.unmapped.count} ${e.unmapped.count === 1 ? 'line' : 'lines'} could not be mapped</strong> to evidence records (an attempt whose line it was counts as unrecorded):</p>`)
      body.push(`<ul class="examples">${e.unmapped.examples.map((x) => `<li>${text(x)}</li>`).join('')}${more}</ul></div>`)
    }
    if (e.mapping_warnings?.length) body.push(`<h3>Reading the evidence</h3><ul class="examples">${e.mapping_warnings.map((w) => `<li>${text(w)}</li>`).join('')}</ul>`)
    return sectionHtml(this, body.join('\n'))
  },
}
