/**
 * Evidence source over an HTTP pull endpoint with a cursor (the reference target's evidence sink):
 * GET {url}/records?after=&limit=, GET {url}/heads. Reads pages until the sink has nothing newer;
 * pages() hands each one on as it arrives, so a run store takes them without the run's evidence
 * ever being in memory at once. Records are hash-chained (docs/evidence-schema.md).
 */
import { request } from 'undici'
import { EvidenceUnavailable } from '../contracts/errors.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { ChainHeads, EvidencePage, EvidenceSource } from '../contracts/evidence-source.ts'
import { assertLoopback } from '../protocol/http.ts'

const PAGE = 5000
const MAX_PAGES = 10_000

export function httpCursorSource(url: string): EvidenceSource {
  assertLoopback(url)
  async function getJson<T>(path: string): Promise<T> {
    try {
      const res = await request(`${url}${path}`, { headersTimeout: 15_000, bodyTimeout: 60_000 })
      if (res.statusCode !== 200) {
        await res.body.dump()
        throw new Error(`HTTP ${res.statusCode}`)
      }
      return (await res.body.json()) as T
    } catch (e) {
      throw new EvidenceUnavailable(`evidence source ${url}${path} failed: ${(e as Error).message}`, {
        cause: e,
        hint: 'the evidence sink must be reachable until the run has read every record',
      })
    }
  }
  return {
    kind: 'http-cursor',
    integrity: 'chained',
    async *pages(after: string | null = null): AsyncGenerator<EvidencePage> {
      let cursor = after
      for (let page = 0; page < MAX_PAGES; page++) {
        const q = new URLSearchParams({ limit: String(PAGE) })
        if (cursor) q.set('after', cursor)
        const body = await getJson<{ records: EvidenceRecord[]; cursor: string | null }>(`/records?${q}`)
        if (body.cursor) cursor = body.cursor
        yield { records: body.records, cursor }
        if (body.records.length < PAGE) break
      }
    },
    async heads(): Promise<ChainHeads> {
      return (await getJson<{ heads: ChainHeads }>('/heads')).heads
    },
    // undici's global dispatcher keeps the connections; nothing of this source's own to release
    async close() {},
  }
}
