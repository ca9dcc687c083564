/**
 * The one place a target's declared evidence source becomes an EvidenceSource: the run calls this
 * once, when the target has started, and every phase reads through the object it returns.
 */
import type { EvidenceSource } from '../contracts/evidence-source.ts'
import type { EvidenceSourceSpec } from '../contracts/target.ts'
import type { HttpClient } from '../protocol/http.ts'
import { httpCursorSource } from './http-cursor-source.ts'

/** `http`: the target's connection options (host policy, TLS); loopback only without it. */
export function openEvidenceSource(spec: EvidenceSourceSpec, http?: HttpClient): EvidenceSource {
  switch (spec.kind) {
    case 'http-cursor':
      return httpCursorSource(spec.url, http)
  }
}
