/**
 * report.html: the readiness report as one self-contained page for an approval board — inline CSS,
 * inline SVG charts, no script and nothing fetched, so it opens the same from a run directory, an
 * artifact store or a mail attachment, and prints (or becomes report.pdf through `gatecrash report
 * --pdf`). Rendered from run.json alone, like the Markdown report, whose sentences it shares (report-facts.ts).
 *
 * @example
 * ```ts
 * await writeFile(join(runDir, RUN_FILES.html), renderHtml(runJson))
 * ```
 */
import type { RunJson } from '../../harness/contracts/run-json.ts'
import { VERDICT_TITLE } from '../report-facts.ts'
import { esc, text } from './escape.ts'
import type { HtmlSection } from './section.ts'
import { casesSection } from './sections/cases.ts'
import { comparisonSection } from './sections/comparison.ts'
import { controlsSection } from './sections/controls.ts'
import { coverageSection } from './sections/coverage.ts'
import { delegationSection } from './sections/delegation.ts'
import { evidenceSection } from './sections/evidence.ts'
import { examplesSection } from './sections/examples.ts'
import { faultsSection } from './sections/faults.ts'
import { gatesSection } from './sections/gates.ts'
import { latencySection } from './sections/latency.ts'
import { reconstructionSection } from './sections/reconstruction.ts'
import { signOffSection } from './sections/sign-off.ts'
import { verdictCountsSection } from './sections/verdict-counts.ts'
import { renderVerdict } from './sections/verdict.ts'
import { STYLE } from './style.ts'

/**
 * The page below the verdict, in the order a board asks its questions: the gates, what changed since
 * the baseline (`--baseline` runs only), the control mapping, the cases; reconstructed transactions
 * right after the failing examples they explain. A section returns null for runs without its
 * run.json field (runs made before it was reported).
 */
export const SECTIONS: readonly HtmlSection[] = [
  gatesSection,
  comparisonSection,
  controlsSection,
  casesSection,
  verdictCountsSection,
  coverageSection,
  examplesSection,
  reconstructionSection,
  faultsSection,
  latencySection,
  evidenceSection,
  delegationSection,
  signOffSection,
]

export function renderHtml(run: RunJson, sections: readonly HtmlSection[] = SECTIONS): string {
  const rendered = sections.map((s) => ({ s, html: s.render(run) })).filter((r): r is { s: HtmlSection; html: string } => r.html !== null)
  const toc = rendered.map(({ s }) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('')
  const title = `${VERDICT_TITLE[run.verdict]}: ${run.scenario.name} against ${run.target.name} — gatecrash ${run.run_id}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<title>${text(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${renderVerdict(run)}
<nav class="toc" aria-label="sections">${toc}</nav>
${rendered.map((r) => r.html).join('\n')}
<footer>Written by gatecrash ${text(run.tool.version)} from run.json (schema ${text(run.schema)}); the run directory holds the full data (run.json, attempts.csv, evidence.csv).</footer>
</main>
</body>
</html>
`
}
