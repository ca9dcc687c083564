/**
 * The fault timeline: the measured phase second by second with each fault window shaded (charts.ts),
 * then one row per window with how the target behaved while it was in effect and its time to recover.
 */
import type { RunJson } from '../../../harness/contracts/run-json.ts'
import { faultEffect, recoveryOf, windowFigures } from '../../faults.ts'
import { timelineChart } from '../charts.ts'
import { code, esc, mark, table, text } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'


export const faultsSection: HtmlSection = {
  id: 'faults',
  title: 'Faults and timeline',
  render(run: RunJson) {
    const faults = run.faults ?? []
    if (faults.length === 0) return null
    const failedWindows = new Set(run.gates.filter((g) => !g.ok && g.window).map((g) => g.window))
    const rows = faults.map((f) => {
      const e = faultEffect(f)
      const r = recoveryOf(f)
      const bad = e.bad || failedWindows.has(f.label) || r.ok === false
      return {
        attrs: `data-fault="${esc(f.id)}"`,
        cls: bad ? 'failed' : '',
        cells: [
          mark(bad ? 'bad' : f.start === null ? 'none' : 'ok'),
          `${code(f.id)} ${text(f.label)}`,
          text(f.detail),
          text(e.text),
          ...windowFigures(f).map(text),
          text(r.text),
        ],
      }
    })
    const body = [
      '<p>The steady state under chaos: in every fault window no attack is accepted, and every attempt ends up in evidence (or the target records the gap). ' +
        'Shaded bands mark each second in which a fault was in effect for any part of it; time to recover counts seconds after healing until legitimate success is back above its threshold.</p>',
      run.timeline?.length ? timelineChart(run.timeline, faults) : '<p class="muted">This run has no timeline.</p>',
      table(['', 'fault', 'what', 'state', 'attempts (throughput)', 'p95 ms', 'block rate', 'legit success', 'breaches', 'unrecorded', 'time to recover'], rows),
    ]
    // in print, the heading, chart and table go to one page together rather than leave the heading behind
    return sectionHtml(this, body.join('\n'), 'keep')
  },
}
