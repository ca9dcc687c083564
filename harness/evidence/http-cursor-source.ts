/**
 * Evidence source over an HTTP pull endpoint with a cursor: GET {url}/records?after=&limit=,
 * GET {url}/heads. Reads pages until the sink has nothing newer: pages() hands each one on as it
 * arrives (a run store takes them without the run's evidence ever being in memory at once),
 * readAll() collects them for small reads.
 */
import { request } from 'undici'
import { EvidenceUnavailable } from '../contracts/errors.ts'
import { assertLoopback } from '../protocol/http.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { EvidencePage, EvidenceSource } from '../contracts/evidence-source.ts'

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
  async function* pages(after: string | null = null): AsyncGenerator<EvidencePage> {
    let cursor = after
    for (let page = 0; page < MAX_PAGES; page++) {
      const q = new URLSearchParams({ limit: String(PAGE) })
      if (cursor) q.set('after', cursor)
      const body = await getJson<{ records: EvidenceRecord[]; cursor: string | null }>(`/records?${q}`)
      if (body.cursor) cursor = body.cursor
      yield { records: body.records, cursor }
      if (body.records.length < PAGE) break
    }
  }
  return {
    pages,
    async readAll(after = null) {
      const records: EvidenceRecord[] = []
      let cursor = after
      for await (const page of pages(after)) {
        for (const r of page.records) records.push(r)
        cursor = page.cursor
      }
      return { records, cursor }
    },
    async heads() {
      return (await getJson<{ heads: Record<string, string | null> }>('/heads')).heads
    },
  }
}
