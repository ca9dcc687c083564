/**
 * The one place a target's declared evidence source becomes an EvidenceSource: the run calls this
 * once, before the target starts where the target declares its source up front (a profile:
 * openDeclaredEvidence), else once it started, and every phase reads through the object it returns.
 * Each mapping source compiles its mapping here, so a mapping that cannot work fails before anything
 * is measured. One page per kind in docs/evidence-sources/.
 */
import type { EvidenceSource } from '../contracts/evidence-source.ts'
import type { EvidenceSourceSpec, TargetAdapter } from '../contracts/target.ts'
import { combinedSource } from './combined-source.ts'
import type { HttpClient } from '../protocol/http.ts'
import { httpCursorSource } from './http-cursor-source.ts'
import { httpLogApiSource } from './http-log-api-source.ts'
import { jsonlSource } from './jsonl-source.ts'
import { otlpLogsSource } from './otlp-source.ts'
import { postgresSource } from './postgres-source.ts'

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
    case 'postgres':
      return postgresSource(spec, options)
    case 'otlp-logs':
      return otlpLogsSource(spec, options)
    case 'http-log-api':
      return httpLogApiSource(spec, options)
  }
}

/**
 * The source a target declares before it starts (TargetAdapter.evidence: a profile's), opened now,
 * with the environment its deployment must get (EvidenceSource.exportEnv). Undefined: the target
 * names its source only once started (the reference target's sink).
 */
export async function openDeclaredEvidence(adapter: TargetAdapter, http?: HttpClient): Promise<{ source: EvidenceSource; env: Record<string, string> } | undefined> {
  if (!adapter.evidence) return undefined
  const source = openEvidenceSource(adapter.evidence, { http })
  try {
    return { source, env: (await source.exportEnv?.()) ?? {} }
  } catch (e) {
    await source.close()
    throw e
  }
}
