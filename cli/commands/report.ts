import path from 'node:path'
import { CliUsage } from '../../harness/contracts/errors.ts'
import { regrade } from '../../harness/run/regrade.ts'
import { copyForRegrade, isSignedRun, regradedDirFor } from '../../harness/run/regrade-copy.ts'
import { RUN_FILES } from '../../harness/run/run-dir.ts'
import { requireChromium } from '../../reports/html/browser.ts'
import { printPdf } from '../../reports/html/pdf.ts'
import { exitCodeForRun } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'
import { defaultReporters, printSummary } from '../reporters.ts'

export async function reportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { out: { type: 'string' }, pdf: { type: 'boolean', default: false } }, 'report')
  if (positionals.length !== 1) throw new CliUsage('report takes one run directory', { hint: 'gatecrash report runs/<run-id> [--out DIR] [--pdf]' })
  const log = (l: string): boolean => process.stderr.write(`${l}\n`)
  // a missing browser is known before anything is copied, re-graded or rewritten
  if (values.pdf) requireChromium()
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
  const reporters = defaultReporters()
  let pdfFailed: unknown = null
  if (values.pdf) {
    // after the HTML reporter, so it prints this re-grade's report.html; run.json then lists report.pdf
    reporters.push({
      name: 'pdf',
      async onRunEnd(run, files) {
        try {
          await printPdf(path.join(files.dir, RUN_FILES.html), path.join(files.dir, RUN_FILES.pdf), { label: `gatecrash ${run.run_id}` })
        } catch (e) {
          pdfFailed = e
          throw e
        }
        return [RUN_FILES.pdf]
      },
    })
  }
  const run = await regrade(dir, { reporters, log })
  printSummary(run, dir)
  // reporters are isolated so one cannot lose the others' files; the PDF was asked for, so its failure fails the command
  if (pdfFailed) throw pdfFailed
  // a run made with --baseline is compared again, its re-grade against the same baseline
  return exitCodeForRun(run)
}
