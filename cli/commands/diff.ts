/**
 * `gatecrash diff <baseline-run-dir> <run-dir> [--json] [--strict]`: a run against a baseline run,
 * from their run.json files alone (nothing is re-graded; `gatecrash report` re-grades a run first
 * if its gates should be today's). Exit 0 without a hard regression, 122 with one; soft changes
 * (latency, evidence lag beyond tolerance) count only with --strict.
 */
import { compareRuns } from '../../harness/compare/compare-runs.ts'
import { CliUsage } from '../../harness/contracts/errors.ts'
import { readRunJson } from '../../harness/run/read-run-json.ts'
import { renderComparisonLines } from '../../reports/comparison.ts'
import { painter } from '../../reports/console.ts'
import { EXIT } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'

export async function diffCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean' }, strict: { type: 'boolean' } }, 'diff')
  if (positionals.length !== 2) throw new CliUsage('diff takes a baseline run directory and a run directory', { hint: 'gatecrash diff runs/<baseline-run-id> runs/<run-id> [--strict]' })
  const [baseline, run] = await Promise.all(positionals.map((p) => readRunJson(p)))
  const comparison = compareRuns(baseline, run, { strict: Boolean(values.strict) })
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ run_id: run.run_id, ...comparison }, null, 2)}\n`)
  } else {
    const paint = painter(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR)
    const lines = [`${paint('bold', 'gatecrash diff')}  run ${run.run_id} (${run.verdict})  against baseline ${baseline.run_id} (${baseline.verdict})`, ...renderComparisonLines(comparison, { paint })]
    process.stdout.write(`${lines.join('\n')}\n`)
  }
  return comparison.regressed ? EXIT.regressed : EXIT.ready
}
