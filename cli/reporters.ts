import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Reporter } from '../harness/run/reporter.ts'
import { RUN_FILES } from '../harness/run/run-dir.ts'
import type { RunJson } from '../harness/contracts/run-json.ts'
import { renderConsoleSummary } from '../reports/console.ts'
import { writeAttemptsCsv, writeEvidenceCsv } from '../reports/csv.ts'
import { renderJunit } from '../reports/junit.ts'
import { renderHtml } from '../reports/html/render.ts'
import { renderMarkdown } from '../reports/markdown.ts'

/** The reporters every run writes; the engine gets them from here, never imports reports/ itself. */
export function defaultReporters(): Reporter[] {
  return [
    {
      name: 'markdown',
      async onRunEnd(run, files) {
        await writeFile(path.join(files.dir, RUN_FILES.report), renderMarkdown(run))
        return [RUN_FILES.report]
      },
    },
    {
      name: 'html',
      async onRunEnd(run, files) {
        await writeFile(path.join(files.dir, RUN_FILES.html), renderHtml(run))
        return [RUN_FILES.html]
      },
    },
    {
      // CI test reporters (Jenkins, GitLab, GitHub) show the failed gates and the cases behind them
      name: 'junit',
      async onRunEnd(run, files) {
        await writeFile(path.join(files.dir, RUN_FILES.junit), renderJunit(run))
        return [RUN_FILES.junit]
      },
    },
    {
      name: 'csv',
      // Rows stream from the run store page by page, so a run of millions of attempts writes its
      // CSVs in constant memory; the verdict and join of each row are looked up as it is written.
      async onRunEnd(_run, files) {
        await writeAttemptsCsv(path.join(files.dir, 'attempts.csv'), files.attempts(), files.verdicts)
        await writeEvidenceCsv(path.join(files.dir, 'evidence.csv'), files.evidence(), { seqById: files.seqById, lateIds: files.lateIds })
        return ['attempts.csv', 'evidence.csv']
      },
    },
  ]
}

export function printSummary(run: RunJson, dir: string): void {
  const lines = renderConsoleSummary(run, { color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR })
  process.stdout.write(`\n${lines.join('\n')}\n  run directory: ${path.relative(process.cwd(), dir) || dir}\n`)
}
