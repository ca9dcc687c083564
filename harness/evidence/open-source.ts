/**
 * The one place a target's declared evidence source becomes an EvidenceSource: the run calls this
 * once, when the target has started, and every phase reads through the object it returns. A JSONL
 * source compiles its mapping here, so a mapping that cannot work fails before anything is measured.
 */
import { EvidenceUnavailable } from '../contracts/errors.ts'
import type { EvidenceSource } from '../contracts/evidence-source.ts'
import type { EvidenceSourceSpec } from '../contracts/target.ts'
import { combinedSource } from './combined-source.ts'
import type { HttpClient } from '../protocol/http.ts'
import { httpCursorSource } from './http-cursor-source.ts'
import { httpLogApiSource } from './http-log-api-source.ts'
import { jsonlSource } from './jsonl-source.ts'

/**
 * `declaredIn`: the file that declared the spec (a target profile), for messages about it; `http`:
 * the target's connection options (host policy, TLS), loopback only without it.
 */
export function openEvidenceSource(spec: EvidenceSourceSpec, options: { declaredIn?: string; http?: HttpClient } = {}): EvidenceSource {
  switch (spec.kind) {
    case 'http-cursor':
      return httpCursorSource(spec.url, options.http)
    case 'combined':
      return combinedSource(spec.sources.map((s) => openEvidenceSource(s, options)))
    case 'jsonl':
      return jsonlSource(spec, options)
    case 'http-log-api':
      return httpLogApiSource(spec, options)
    // each kind below is wired by the change that builds its source (issue 14)
    case 'postgres':
    case 'otlp-logs':
      throw new EvidenceUnavailable(`evidence source kind '${spec.kind}' is not built yet`, { hint: "allowed for now: 'jsonl', 'http-cursor', 'http-log-api', 'combined'" })
  }
}
