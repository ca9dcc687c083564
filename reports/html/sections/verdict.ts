/**
 * The top of the page, what a board reads first: the verdict in one big word, the one-line why,
 * the notes that must stand next to it (flawed target, early stop, the trail's integrity, a
 * re-grade), then the run's facts.
 */
import type { RunJson } from '../../../harness/contracts/run-json.ts'
import { fmtMs, VERDICT_TITLE, verdictNotes, verdictWhy } from '../../report-facts.ts'
import { code, esc, rich, table, text } from '../escape.ts'

function notes(run: RunJson): string[] {
  const out: string[] = []
  if (run.target.flaws.length > 0) {
    out.push(`<p class="note bad"><strong>Flawed target.</strong> The target ran with flaw switches on (${run.target.flaws.map(code).join(', ')}): this run is a self-test, not evidence about a deployment.</p>`)
  }
  if (run.stopped) out.push(`<p class="note"><strong>Stopped early:</strong> ${text(run.stopped)}. Results cover only what ran.</p>`)
  for (const n of verdictNotes(run)) out.push(`<p class="note${n.title.startsWith('Audit') ? ' bad' : ''}"><strong>${esc(n.title)}</strong> ${rich(n.body)}</p>`)
  return out
}

function facts(run: RunJson): string {
  const p = run.population
  const l = run.load
  const rows: [string, string][] = [
    ['run id', code(run.run_id)],
    ['scenario', `${text(run.scenario.name)} (${code(run.scenario.file)})`],
    ['target', `${text(run.target.name)} ${text(run.target.version)}, issuer ${code(run.target.issuer)}`],
    ['time', `${text(run.started_at)} → ${text(run.ended_at)} (${l.duration_s.toFixed(1)} s measured)`],
    ['seed', text(run.seed)],
    ['population', `${p.tenants} tenants, ${p.principals} principals, ${p.agents} agents, ${p.sub_agents} sub-agents, delegation depth ≤ ${p.max_depth}`],
    ['attempts', `${l.attempts} (${l.legit} legitimate, ${l.attacks} attacks)`],
    ['tool', `gatecrash ${text(run.tool.version)}, catalog ${text(run.tool.catalog)}, grader ${text(run.tool.grader ?? 1)}, Node ${text(run.tool.node)}`],
  ]
  const dl = `<dl class="facts">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`
  if (l.scenarios.length === 0) return dl
  return dl + table(
    ['load scenario', 'executor', 'target rate', 'achieved rate', 'iterations', 'dropped', 'scheduling lag p50 / p99', 'peak VUs'],
    l.scenarios.map((s) => ({
      cells: [
        text(s.name),
        text(s.executor),
        s.target_rate === undefined ? '—' : `${text(s.target_rate)}/s`,
        `${s.achieved_rate.toFixed(1)}/s`,
        text(s.iterations),
        text(s.dropped_iterations),
        s.lag_p50_ms === undefined ? '—' : `${fmtMs(s.lag_p50_ms)} / ${fmtMs(s.lag_p99_ms ?? s.lag_p50_ms)} ms`,
        s.peak_vus === undefined ? '—' : text(s.peak_vus),
      ],
    })),
  )
}

export function renderVerdict(run: RunJson): string {
  return `<header id="verdict" data-section="verdict">
<h1>gatecrash readiness report</h1>
<div class="verdict verdict-${esc(run.verdict)}" data-verdict="${esc(run.verdict)}">
<div class="word">${VERDICT_TITLE[run.verdict]}</div>
<div class="why" data-why>${rich(verdictWhy(run))}</div>
<div class="subject">${text(run.scenario.name)} against ${text(run.target.name)} ${text(run.target.version)}, run ${code(run.run_id)}</div>
</div>
${notes(run).join('\n')}
${facts(run)}
</header>`
}
