/**
 * Several evidence sources read as one: a deployment whose authorization server and resource
 * servers keep separate audit trails (two log files, a log file and a table…). Pages come from
 * each source in turn; the cursor is every source's own cursor, so a run resumes each where it
 * stopped. The trail is chained only if every part is; heads are the union of the chained parts'.
 */
import { EvidenceMappingInvalid } from '../contracts/errors.ts'
import type { ChainHeads, EvidencePage, EvidenceSource } from '../contracts/evidence-source.ts'

interface CombinedCursor {
  [index: string]: string | null
}

function parseCursor(after: string | null | undefined, n: number): (string | null)[] {
  if (!after) return Array.from({ length: n }, () => null)
  const parsed = JSON.parse(after) as CombinedCursor
  return Array.from({ length: n }, (_, i) => parsed[String(i)] ?? null)
}

export function combinedSource(parts: readonly EvidenceSource[]): EvidenceSource {
  if (parts.length === 1) return parts[0]
  const chained = parts.every((p) => p.integrity === 'chained')
  const withHeads = parts.filter((p) => p.heads)
  return {
    kind: parts.map((p) => p.kind).join('+'),
    integrity: chained ? 'chained' : 'unchained',
    async *pages(after?: string | null): AsyncGenerator<EvidencePage> {
      const cursors = parseCursor(after, parts.length)
      for (let i = 0; i < parts.length; i++) {
        for await (const page of parts[i].pages(cursors[i])) {
          cursors[i] = page.cursor ?? cursors[i]
          yield { ...page, cursor: JSON.stringify(Object.fromEntries(cursors.map((c, j) => [String(j), c]))) }
        }
      }
    },
    ...(chained && withHeads.length > 0
      ? {
          async heads(): Promise<ChainHeads> {
            const all = await Promise.all(withHeads.map((p) => p.heads!()))
            return Object.assign({}, ...all) as ChainHeads
          },
        }
      : {}),
    // what a part the deployment sends to needs it to know (an OTLP receiver's endpoint and secret)
    ...(parts.some((p) => p.exportEnv)
      ? {
          async exportEnv(): Promise<Record<string, string>> {
            const envs = await Promise.all(parts.map((p) => p.exportEnv?.() ?? Promise.resolve({})))
            const clash = envs.flatMap(Object.keys).find((k, i, all) => all.indexOf(k) !== i)
            if (clash) throw new EvidenceMappingInvalid(`two parts of a combined evidence source both need ${clash} in the deployment's environment`, { key: 'evidence.source.sources', hint: 'one otlp-logs receiver per run: let every component export to it (its records carry service.name)' })
            return Object.assign({}, ...envs) as Record<string, string>
          },
        }
      : {}),
    async close() {
      await Promise.all(parts.map((p) => p.close()))
    },
  }
}
