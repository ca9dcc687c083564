import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { EvidenceSource } from '../contracts/evidence-source.ts'

/** Every record after `after`, collected: for small reads only (what precedes a run, tests). */
export async function readAll(source: EvidenceSource, after: string | null = null): Promise<{ records: EvidenceRecord[]; cursor: string | null }> {
  const records: EvidenceRecord[] = []
  let cursor = after
  for await (const page of source.pages(after)) {
    for (const r of page.records) records.push(r)
    cursor = page.cursor ?? cursor
  }
  return { records, cursor }
}
