/**
 * The control mapping: for a board that signs against a framework (OWASP ASI and NHI, NIST SP 800-53,
 * NIST AI RMF, the cited specifications) rather than a case list. An overview of every framework,
 * then per framework each mapped control with the cases, checks and gates behind it and their
 * results, and the controls the run did not exercise, saying why. Counts, groups and wording are
 * the Markdown report's (controls-facts.ts).
 */
import type { ControlRow, FrameworkControls, RunJson } from '../../../harness/contracts/run-json.ts'
import { CONTROL_STATUS_LABEL, CONTROLS_INTRO, evidenceGroups, frameworkCounts, frameworkSentence, NO_EVIDENCE, notExercised } from '../../controls-facts.ts'
import { code, esc, mark, table, text } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'

const STATE: Record<ControlRow['status'], 'ok' | 'bad' | 'none'> = { held: 'ok', failed: 'bad', 'not-exercised': 'none' }
const ROW_CLASS: Record<ControlRow['status'], string> = { held: '', failed: 'failed', 'not-exercised': 'idle' }

/**
 * A control id: a short one (`MEASURE 2.10`, `AC-6(10)`) stays on one line, where code() would break
 * it after its `.` or `-` in a narrow printed column; a long one (`draft-ietf-oauth-rfc7523bis`) may still wrap.
 */
const controlId = (id: string): string => (id.length <= 12 ? `<code class="nowrap">${text(id)}</code>` : code(id))

const anchor = (f: FrameworkControls): string => `controls-${esc(f.framework)}`
const status = (s: ControlRow['status']): string => `<span class="badge badge-${esc(s)}">${esc(CONTROL_STATUS_LABEL[s])}</span>`

/** Held cases named in a cell before they are only counted: a table cell wraps, where the Markdown report keeps one line. */
const NAMED_HELD_HTML = 8

/** The cases, checks and gates behind a control, worst first: `failed: a, b; held: c, d`; many held ones counted (named on hover). */
function evidence(c: ControlRow): string {
  const groups = evidenceGroups(c, NAMED_HELD_HTML)
  if (groups.length === 0) return `<span class="muted">${esc(NO_EVIDENCE)}</span>`
  return groups
    .map((g) => (g.named
      ? `<span class="ev ev-${esc(g.result)}">${esc(g.label)}:</span> ${g.ids.map(code).join(', ')}`
      : `<span class="ev ev-${esc(g.result)}" title="${text(g.ids.join(', '))}">${g.ids.length} ${esc(g.label)}</span>`))
    .join('; ')
}

function overview(list: readonly FrameworkControls[]): string {
  const rows = list.map((f) => {
    const n = frameworkCounts(f)
    return {
      attrs: `data-framework-summary="${esc(f.framework)}"`,
      cls: n.failed > 0 ? 'failed' : '',
      cells: [
        mark(n.failed > 0 ? 'bad' : n.held > 0 ? 'ok' : 'none'),
        `<a href="#${anchor(f)}">${text(f.name)}</a>`,
        `<span class="num">${n.held}</span>`,
        `<span class="num">${n.failed}</span>`,
        `<span class="num">${n['not-exercised']}</span>`,
        `<span class="num">${n.notInCatalog}</span>`,
      ],
    }
  })
  return table(['', 'framework', 'held', 'failed', 'not exercised by this run', 'no case in the catalog'], rows, { cls: 'small' })
}

function framework(f: FrameworkControls): string {
  const rows = f.controls.map((c) => ({
    attrs: `data-control="${esc(c.id)}" data-framework="${esc(f.framework)}" data-status="${esc(c.status)}"`,
    cls: ROW_CLASS[c.status],
    cells: [mark(STATE[c.status]), controlId(c.id), text(c.title), evidence(c), status(c.status)],
  }))
  const out = [
    `<div class="framework" id="${anchor(f)}" data-framework="${esc(f.framework)}">`,
    `<h3>${text(f.name)} <span class="edition">${text(f.version)}</span></h3>`,
    `<p>${esc(frameworkSentence(f))} <span class="muted">Source: ${code(f.url)}</span></p>`,
  ]
  if (rows.length > 0) out.push(table(['', 'control', 'title', 'cases, checks and gates behind it', 'status'], rows, { cls: 'controls' }))
  for (const l of notExercised(f)) {
    // the controls this run did not reach are rows of the table already: named there, counted here
    if (l.why === 'not-run') out.push(`<p data-not-exercised="not-run">${esc(l.lead)}: the ${l.controls.length} ${l.controls.length === 1 ? 'row' : 'rows'} marked not exercised above.</p>`)
    else out.push(`<p class="lead">${esc(l.lead)}:</p>`, `<ul class="controls-missing" data-not-exercised="${esc(l.why)}">${l.controls.map((c) => `<li data-missing-control="${esc(c.id)}">${controlId(c.id)} ${text(c.title)}</li>`).join('')}</ul>`)
  }
  out.push('</div>')
  return out.join('\n')
}

export const controlsSection: HtmlSection = {
  id: 'controls',
  title: 'Control mapping',
  render(run: RunJson) {
    const list = run.controls ?? []
    if (list.length === 0) return null
    return sectionHtml(this, [`<p>${esc(CONTROLS_INTRO)}</p>`, overview(list), ...list.map(framework)].join('\n'))
  },
}
