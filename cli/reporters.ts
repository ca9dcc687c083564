import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Reporter } from '../harness/run/reporter.ts'
import type { RunJson } from '../harness/run/run-json.ts'
import { renderConsoleSummary } from '../reports/console.ts'
import { writeAttemptsCsv, writeEvidenceCsv } from '../reports/csv.ts'
import { renderMarkdown } from '../reports/markdown.ts'

/** The reporters every run writes; the engine gets them from here, never imports reports/ itself. */
export function defaultReporters(): Reporter[] {
  return [
    {
      name: 'markdown',
      async onRunEnd(run, files) {
        await writeFile(path.join(files.dir, 'report.md'), renderMarkdown(run))
        return ['report.md']
      },
    },
    {
      name: 'csv',
      async onRunEnd(_run, files) {
        await writeAttemptsCsv(path.join(files.dir, 'attempts.csv'), files.attemptRecords, files.graded.attempts)
        await writeEvidenceCsv(path.join(files.dir, 'evidence.csv'), files.evidenceRecords, {
          seqById: files.graded.match.seqById,
          lateIds: files.graded.match.lateIds,
        })
        return ['attempts.csv', 'evidence.csv']
      },
    },
  ]
}

export function printSummary(run: RunJson, dir: string): void {
  const lines = renderConsoleSummary(run, { color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR })
  process.stdout.write(`\n${lines.join('\n')}\n  run directory: ${path.relative(process.cwd(), dir) || dir}\n`)
}
