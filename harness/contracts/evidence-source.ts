/**
 * Where a run reads the target's audit records from. Every kind of source (the reference target's
 * HTTP cursor today) implements this, so the run resolves one source from the started target and
 * never wires a kind in by hand.
 */
import type { EvidenceRecord } from './evidence.ts'

export interface EvidencePage {
  records: EvidenceRecord[]
  /** the cursor after this page */
  cursor: string | null
}

export interface EvidenceSource {
  pages(after?: string | null): AsyncGenerator<EvidencePage>
  readAll(after?: string | null): Promise<{ records: EvidenceRecord[]; cursor: string | null }>
  heads(): Promise<Record<string, string | null>>
}
