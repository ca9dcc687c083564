/**
 * Reconstructed transactions: who acted for whom, rebuilt from the target's records alone, beside
 * what the harness did — the claim "every action can be reconstructed from the audit trail", shown
 * transaction by transaction. Token hashes only as a 12-character prefix (reconstruction-facts.ts,
 * shared with the Markdown report); a target that records no exchange is said to be not covered.
 */
import type { RunJson } from '../../../harness/contracts/run-json.ts'
import { chainText, listedSentence, NO_CALL_RECORD, notCoveredSentence, reconstructionSentence, TRANSACTION_HEAD, transactionFacts, type HopFacts } from '../../reconstruction-facts.ts'
import { code, esc, mark, rich, table, text } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'

const chain = (parties: readonly string[]): string => `<span class="chain">${parties.map(code).join(' → ')}</span>`
/** A token hash prefix: kept on one line (it has no readable break point, unlike an id) */
const hash = (prefix: string): string => `<code class="hash">${text(prefix)}</code>`
const hop = (h: HopFacts): string =>
  `<li>${text(h.client)}: ${hash(h.token)} ← ${hash(h.parent)}${h.scope ? ` <span class="muted">(held ${text(h.scope)})</span>` : ''}</li>`

/** The harness's chain over the rebuilt one; a rebuilt chain naming the same parties is said to, not printed twice. */
function who(harness: readonly string[], rebuilt: readonly string[] | null): string {
  const evidence = rebuilt === null ? '<strong>not rebuilt</strong>' : chainText(rebuilt) === chainText(harness) ? '<span class="same">the same</span>' : chain(rebuilt)
  return `<div><span class="muted">harness:</span> ${chain(harness)}</div><div><span class="muted">evidence:</span> ${evidence}</div>`
}

export const reconstructionSection: HtmlSection = {
  id: 'reconstruction',
  title: 'Reconstructed transactions',
  render(run: RunJson) {
    const r = run.reconstruction
    if (!r) return null
    if (r.not_covered) return sectionHtml(this, `<p class="note" data-reconstruction-not-covered>${rich(notCoveredSentence(r.not_covered))}</p>`)
    const listed = listedSentence(r)
    const body = [`<p>${rich(reconstructionSentence(r))}${listed ? ` <span data-listed="${r.transactions.length}">${esc(listed)}</span>` : ''}</p>`]
    if (r.transactions.length > 0) {
      const rows = r.transactions.map(transactionFacts).map((t) => ({
        attrs: `data-transaction="${esc(t.trace)}" data-matched="${t.matched}"`,
        cls: t.matched ? '' : 'failed',
        cells: [
          mark(t.matched ? 'ok' : 'bad'),
          `${code(t.trace)}<div class="muted">${'case' in t.subject ? code(t.subject.case) : text(t.subject.kind)}</div>`,
          who(t.harness, t.rebuilt),
          t.hops.length === 0 ? '—' : `<ol class="hops">${t.hops.map(hop).join('')}</ol>`,
          t.call ? rich(t.call) : esc(NO_CALL_RECORD),
          t.mismatch ? text(t.mismatch) : '—',
        ],
      }))
      // the Markdown report's columns with two pairs merged, so the page needs no sideways scrolling: the trace over its case, the harness's chain over the rebuilt one
      const [, trace, , , , hops, call, mismatch] = TRANSACTION_HEAD
      body.push(table(['', esc(trace), 'who acted for whom', esc(hops), esc(call), esc(mismatch)], rows, { cls: 'transactions' }))
    }
    return sectionHtml(this, body.join('\n'))
  },
}
