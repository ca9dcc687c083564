/**
 * Every value in report.html goes through here: run.json holds text a target or a scenario chose
 * (case ids, reasons, target names, error messages), and a report opened in a browser must show
 * it, never run it. Redaction first, so no token-shaped string reaches the page either.
 */
import { redact } from '../redact.ts'
import type { Rich } from '../report-facts.ts'

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escaped for text and for double- or single-quoted attribute values alike. */
export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c])
}

/** Free text from run.json: redacted, then escaped. */
export function text(value: string | number): string {
  return esc(typeof value === 'number' ? value : redact(value))
}

/**
 * An id or metric name, set in code type. It may break after its separators (`.`, `_`, `-`, `{`,
 * `:`, `,`, `/`), so a long case id or tagged metric wraps at a readable point instead of pushing a
 * table off the page or being split mid-word.
 */
/** A short value that must not break (a threshold such as `rate>=0.999`): one unbroken code span. */
export function codeWhole(value: string): string {
  return `<code class="nowrap">${esc(redact(value))}</code>`
}

export function code(value: string): string {
  return `<code>${redact(value).split(/(?<=[._\-{:,/])(?=.)/).map(esc).join('<wbr>')}</code>`
}

/** A shared report sentence (report-facts.ts) with its code spans. */
export function rich(r: Rich): string {
  return r.map((p) => (typeof p === 'string' ? text(p) : code(p.code))).join('')
}

/** A table: head cells are trusted markup, row cells already escaped; `attrs` per row (e.g. data-case). */
export function table(head: readonly string[], rows: readonly { cells: readonly string[]; attrs?: string; cls?: string }[], opts: { cls?: string } = {}): string {
  const th = head.map((h) => `<th scope="col">${h}</th>`).join('')
  const body = rows
    .map((r) => `<tr${r.attrs ? ` ${r.attrs}` : ''}${r.cls ? ` class="${r.cls}"` : ''}>${r.cells.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('\n')
  return `<div class="table-wrap"><table${opts.cls ? ` class="${opts.cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`
}

/** An ok / failed / neutral mark that reads without colour too (print in black and white). */
export function mark(state: 'ok' | 'bad' | 'warn' | 'none'): string {
  const [sym, label] = { ok: ['✓', 'ok'], bad: ['✗', 'failed'], warn: ['!', 'warning'], none: ['–', 'n/a'] }[state]
  return `<span class="mark mark-${state}" title="${label}" aria-label="${label}">${sym}</span>`
}
