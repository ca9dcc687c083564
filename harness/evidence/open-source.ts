/**
 * The one place a target's declared evidence source becomes an EvidenceSource: the run calls this
 * once, when the target has started, and every phase reads through the object it returns.
 */
import { EvidenceUnavailable } from '../contracts/errors.ts'
import type { EvidenceSource } from '../contracts/evidence-source.ts'
import type { EvidenceSourceSpec } from '../contracts/target.ts'
import { combinedSource } from './combined-source.ts'
import { httpCursorSource } from './http-cursor-source.ts'

export function openEvidenceSource(spec: EvidenceSourceSpec): EvidenceSource {
  switch (spec.kind) {
    case 'http-cursor':
      return httpCursorSource(spec.url)
    case 'combined':
      return combinedSource(spec.sources.map(openEvidenceSource))
    case 'jsonl':
      throw new EvidenceUnavailable(`evidence source kind jsonl (${spec.file}) is not wired in this build`, { hint: 'use an http-cursor source' })
  }
}
