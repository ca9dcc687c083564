import path from 'node:path'
import { CliUsage } from '../../harness/contracts/errors.ts'
import { regrade } from '../../harness/run/regrade.ts'
import { RUN_FILES } from '../../harness/run/run-dir.ts'
import { requireChromium } from '../../reports/html/browser.ts'
import { printPdf } from '../../reports/html/pdf.ts'
import { EXIT } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'
import { defaultReporters, printSummary } from '../reporters.ts'

export async function reportCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseFlags(args, { pdf: { type: 'boolean', default: false } }, 'report')
  if (positionals.length !== 1) throw new CliUsage('report takes one run directory', { hint: 'gatecrash report runs/<run-id> [--pdf]' })
  // a missing browser is known before anything is re-graded or rewritten
  if (values.pdf) requireChromium()
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
  const run = await regrade(positionals[0], { reporters, log: (l) => process.stderr.write(`${l}\n`) })
  printSummary(run, positionals[0])
  // reporters are isolated so one cannot lose the others' files; the PDF was asked for, so its failure fails the command
  if (pdfFailed) throw pdfFailed
  return run.verdict === 'ready' ? EXIT.ready : EXIT.gatesFailed
}
