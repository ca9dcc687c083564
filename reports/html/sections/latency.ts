/** Latency percentiles from run.json's metrics, as a chart (with latency gates drawn in) and the figures. */
import type { RunJson, TrendSummary } from '../../../harness/contracts/run-json.ts'
import { ms } from '../../format.ts'
import { latencyChart } from '../charts.ts'
import { code, table } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'

export const latencySection: HtmlSection = {
  id: 'latency',
  title: 'Latency',
  render(run: RunJson) {
    const row = (name: string, t: TrendSummary) => ({
      cells: [code(name), String(t.count), ...[t.min, t.avg, t.med, t.p90, t.p95, t.p99, t.max].map((v) => `<span class="num">${t.count === 0 ? '—' : ms(v)}</span>`)],
    })
    const chart = latencyChart(run.metrics, run.gates)
    const body = [
      '<p>Milliseconds from the scheduled time of each attempt, so time spent waiting for a free virtual user counts too. The deny path is the attacks alone.</p>',
      chart || '<p class="muted">No latency samples.</p>',
      table(['trend', 'count', 'min', 'avg', 'med', 'p90', 'p95', 'p99', 'max'], [row('http_req_duration', run.metrics.http_req_duration), row('deny_path_duration', run.metrics.deny_path_duration)]),
    ]
    // in print, the heading, chart and table go to one page together rather than leave the heading behind
    return sectionHtml(this, body.join('\n'), 'keep')
  },
}
