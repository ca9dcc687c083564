import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { EvidenceProblems, EvidenceSource } from '../contracts/evidence-source.ts'
import { mergeProblems } from './problems.ts'

/** Every record after `after`, collected: for small reads only (what precedes a run, tests). */
export async function readAll(source: EvidenceSource, after: string | null = null): Promise<{ records: EvidenceRecord[]; cursor: string | null; problems?: EvidenceProblems }> {
  const records: EvidenceRecord[] = []
  let cursor = after
  let problems: EvidenceProblems | undefined
  for await (const page of source.pages(after)) {
    for (const r of page.records) records.push(r)
    cursor = page.cursor ?? cursor
    if (page.problems) problems = mergeProblems(problems, page.problems)
  }
  return { records, cursor, ...(problems ? { problems } : {}) }
}
