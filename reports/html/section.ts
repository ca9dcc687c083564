/**
 * A section of report.html: an anchor id, the heading the table of contents shows, and a renderer
 * that returns escaped markup, or null when the run has nothing for it (e.g. no faults). Sections
 * are a list (render.ts) so a new one — the control mapping, reconstructed transactions — is one
 * entry, not an edit through the page.
 */
import type { RunJson } from '../../harness/contracts/run-json.ts'

export interface HtmlSection {
  id: string
  title: string
  render(run: RunJson): string | null
}

/** A section's markup: `data-section` lets tests and readers find it without relying on headings. */
export function sectionHtml(s: Pick<HtmlSection, 'id' | 'title'>, body: string, cls = ''): string {
  return `<section id="${s.id}" data-section="${s.id}"${cls ? ` class="${cls}"` : ''}>\n<h2>${s.title}</h2>\n${body}\n</section>`
}
