/**
 * Evidence source over an HTTP pull endpoint with a cursor (the reference target's evidence sink):
 * GET {url}/records?after=&limit=, GET {url}/heads. Reads pages until the sink has nothing newer;
 * pages() hands each one on as it arrives, so a run store takes them without the run's evidence
 * ever being in memory at once. Records are hash-chained (docs/evidence-schema.md).
 *
 * Connections go through the target's HttpClient (protocol/http.ts): its host policy checks the URL
 * here and every connection's resolved address, and an https sink is verified with the profile's CA.
 */
import { request } from 'undici'
import { EvidenceUnavailable } from '../contracts/errors.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { ChainHeads, EvidencePage, EvidenceSource } from '../contracts/evidence-source.ts'
import { loopbackHttp, type HttpClient } from '../protocol/http.ts'

const PAGE = 5000
const MAX_PAGES = 10_000

export function httpCursorSource(url: string, http: HttpClient = loopbackHttp): EvidenceSource {
  const dispatcher = http.dispatcher(http.check(url).protocol)
  async function getJson<T>(path: string): Promise<T> {
    try {
      const res = await request(`${url}${path}`, { dispatcher, headersTimeout: 15_000, bodyTimeout: 60_000 })
      if (res.statusCode !== 200) {
        await res.body.dump()
        throw new Error(`HTTP ${res.statusCode}`)
      }
      return (await res.body.json()) as T
    } catch (e) {
      // the contract's error, with the policy's or TLS's own message and hint when that is what failed
      const why = http.transportError(e, new URL(url), `evidence source ${url}${path}`, 15_000) as Error & { hint?: string }
      const specific = why.name === 'TargetUnsafe' || why.name === 'TargetTlsFailed'
      throw new EvidenceUnavailable(specific ? why.message : `evidence source ${url}${path} failed: ${(e as Error).message}`, {
        cause: e,
        hint: specific ? why.hint : 'the evidence sink must be reachable until the run has read every record',
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
    // the HttpClient's Agent keeps the connections; whoever made the client closes it
    async close() {},
  }
}
