import { CliUsage } from '../../harness/contracts/errors.ts'
import { regrade } from '../../harness/run/regrade.ts'
import { exitCodeForRun } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'
import { defaultReporters, printSummary } from '../reporters.ts'

export async function reportCommand(args: string[]): Promise<number> {
  const { positionals } = parseFlags(args, {}, 'report')
  if (positionals.length !== 1) throw new CliUsage('report takes one run directory', { hint: 'gatecrash report runs/<run-id>' })
  const run = await regrade(positionals[0], { reporters: defaultReporters(), log: (l) => process.stderr.write(`${l}\n`) })
  printSummary(run, positionals[0])
  // a run made with --baseline is compared again, its re-grade against the same baseline
  return exitCodeForRun(run)
}
