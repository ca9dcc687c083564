import path from 'node:path'
import { CliUsage } from '../../harness/contracts/errors.ts'
import { regrade } from '../../harness/run/regrade.ts'
import { copyForRegrade, isSignedRun, regradedDirFor } from '../../harness/run/regrade-copy.ts'
import { EXIT } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'
import { defaultReporters, printSummary } from '../reporters.ts'

export async function reportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { out: { type: 'string' } }, 'report')
  if (positionals.length !== 1) throw new CliUsage('report takes one run directory', { hint: 'gatecrash report runs/<run-id> [--out DIR]' })
  const log = (l: string): boolean => process.stderr.write(`${l}\n`)
  let dir = positionals[0]
  const signed = await isSignedRun(dir)
  if (signed || values.out !== undefined) {
    const out = path.resolve((values.out as string | undefined) ?? regradedDirFor(dir))
    await copyForRegrade(dir, out)
    log(signed
      ? `${dir} is signed: re-grading a copy in ${out} (the copy is unsigned; the signed run is left as it was)`
      : `re-grading a copy of ${dir} in ${out}`)
    dir = out
  }
  const run = await regrade(dir, { reporters: defaultReporters(), log })
  printSummary(run, dir)
  return run.verdict === 'ready' ? EXIT.ready : EXIT.gatesFailed
}
