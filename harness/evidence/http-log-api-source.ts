/**
 * Evidence source over any HTTP API that pages through an audit log with a cursor, the way identity
 * providers' system logs page (docs/evidence-sources/http-log-api.md): the first page at `url`, each
 * next one from an RFC 8288 `Link: <…>; rel="next"` (Okta's System Log, GitHub's audit log) or from a
 * cursor in the body (`{ data: [...], next_cursor }`), every record through the target's mapping.
 * Unchained: such logs carry no hash chain, so there are no heads().
 *
 * Polling: the live tail calls pages(cursor) every second, so the cursor always says where to poll
 * next. A call reads on while pages come back full and point somewhere new; a short or empty page
 * ends it, and the cursor keeps that page's next link (Okta's "poll this" link), or the page itself
 * when the API gives no next (a body cursor that stays put, a last page without a next link).
 *
 * Nothing lost, nothing twice: a record's id is the API's own (`api:<hash of the API's origin and
 * path>:<the mapping's id>`), so a record read again is the same record to the run store; and the
 * cursor carries digests of the latest page's records, so a page the API serves again is not even
 * handed on twice, by this object or a fresh one (http-log-api-cursor.ts). A failed page (rate limited
 * past the waits, the API down) throws before its cursor is handed on: the next read asks again.
 * A next link that points back at a page already read, or at the same page while pages are full,
 * would loop forever: the page is handed on, then the read fails with EvidenceUnavailable, each read,
 * so the run says why its evidence stops there rather than stopping silently.
 */
import { EvidenceMappingInvalid, EvidenceUnavailable } from '../contracts/errors.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { EvidencePage, EvidenceSource } from '../contracts/evidence-source.ts'
import type { HttpLogApiSourceSpec } from '../contracts/target.ts'
import { loopbackHttp, type HttpClient } from '../protocol/http.ts'
import { b64urlSha256 } from '../protocol/token-hash.ts'
import { decodeCursor, digest, encodeCursor, leave, MAX_SEEN, type ApiPosition } from './http-log-api-cursor.ts'
import { authHeaders, DEFAULT_RETRY, pageFetcher, shown, type FetchedPage, type RetryPolicy } from './http-log-api-fetch.ts'
import { nextLink } from './link-header.ts'
import { compileMapping } from './mapping.ts'
import { MAX_EXAMPLES, ProblemLog } from './problems.ts'

export interface HttpLogApiSourceOptions {
  /** the file that declared the source (a target profile), for messages */
  declaredIn?: string
  /** the target's connection options (host policy, TLS); loopback only without it */
  http?: HttpClient
  /** the waits on 429 and 503 (default: 5 tries, backoff from 500 ms, at most 30 s a wait) */
  retry?: Partial<RetryPolicy>
}

const DEFAULT_PAGE_SIZE = 1000
/** per pages() call, as the other sources: an API faster than the reader is caught up with next call */
const MAX_PAGES = 10_000
/** stands for "the mapping gave no id" (no id a mapping gives can hold a NUL) */
const NO_ID = '\u0000no-id'

/** Examples say which record of which page, not "line": an API has no lines. */
class PageProblems extends ProblemLog {
  readonly where: string
  constructor(where: string) {
    super()
    this.where = where
  }

  override unmappedLine(n: number, why: string): void {
    this.unmapped++
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(`record ${n} of a page from ${this.where}: ${why}`)
  }

  absorb(other: ProblemLog): void {
    this.unmapped += other.unmapped
    for (const e of other.examples) if (this.examples.length < MAX_EXAMPLES) this.examples.push(e)
    for (const w of other.warnings) this.warn(w)
  }
}

function configError(declaredIn: string, key: string, message: string, hint: string): EvidenceMappingInvalid {
  return new EvidenceMappingInvalid(`${declaredIn}: \`${key}\` ${message}`, { file: declaredIn, key, hint })
}

/** The value at a dotted path of a parsed body ('' : the body itself). */
function at(body: unknown, path: string): unknown {
  if (path === '') return body
  let v = body
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, k)) return undefined
    v = (v as Record<string, unknown>)[k]
  }
  return v
}

export function httpLogApiSource(spec: HttpLogApiSourceSpec, options: HttpLogApiSourceOptions = {}): EvidenceSource {
  const declaredIn = options.declaredIn ?? 'the target profile'
  const http = options.http ?? loopbackHttp
  const pageSize = spec.pageSize ?? DEFAULT_PAGE_SIZE
  if (!Number.isInteger(pageSize) || pageSize < 1) throw configError(declaredIn, 'evidence.source.pageSize', `is ${JSON.stringify(spec.pageSize)}`, 'allowed: a whole number of records per page, at most the API\'s own maximum (Okta: 1000)')
  let first: URL
  try {
    first = new URL(spec.url.replaceAll('{limit}', String(pageSize)))
  } catch (cause) {
    throw new EvidenceMappingInvalid(`${declaredIn}: \`evidence.source.url\` is not a URL`, { cause, file: declaredIn, key: 'evidence.source.url', hint: 'allowed: an absolute http(s) URL of the first page, with {limit} where the page size goes' })
  }
  const firstUrl = first.href
  const recordsPath = spec.records ?? ''
  const bodyNext = typeof spec.next === 'object' && spec.next !== null ? spec.next.body : null
  if (spec.next !== 'link' && (typeof bodyNext !== 'string' || bodyNext === '')) {
    throw configError(declaredIn, 'evidence.source.next', `is ${JSON.stringify(spec.next)}`, "allowed: 'link' (an RFC 8288 Link header with rel=\"next\") or { body: '<dotted path of the next cursor>' }")
  }
  if (bodyNext !== null && recordsPath === '') {
    throw configError(declaredIn, 'evidence.source.records', 'is absent, so the body is read as the array of records, which cannot also hold `next.body`', "the dotted path of the records array in the body, e.g. 'data'")
  }
  // the API's own id is what keeps a record read twice from counting twice
  if (spec.mapping?.fields?.id === undefined && spec.mapping?.map === undefined) {
    throw configError(declaredIn, 'evidence.source.mapping.fields.id', 'is missing', "the API's own event id, e.g. id: 'uuid' (Okta) or id: '_document_id' (GitHub): a record read again must be known as the same record")
  }
  const mapping = compileMapping(spec.mapping, { file: declaredIn, key: 'evidence.source.mapping' })
  // an unset variable is the user's to fix before anything is measured, not a 401 later
  authHeaders(spec.auth, declaredIn)
  const where = shown(first)
  const scope = b64urlSha256(`${first.origin}${first.pathname}`).slice(0, 12)
  const aborts = new AbortController()
  const fetchPage = pageFetcher(spec, { http, declaredIn, retry: { ...DEFAULT_RETRY, ...options.retry }, signal: aborts.signal })

  function recordsOf(body: unknown): unknown[] {
    const v = at(body, recordsPath)
    if (Array.isArray(v)) return v
    const got = v === undefined ? 'nothing' : v === null ? 'null' : typeof v === 'object' ? 'an object' : typeof v
    throw new EvidenceMappingInvalid(`${declaredIn}: the log API at ${where} answered with ${got} at \`evidence.source.records\` (${recordsPath === '' ? 'the body itself' : `'${recordsPath}'`}), not an array of records`, {
      file: declaredIn,
      key: 'evidence.source.records',
      hint: "the dotted path of the array of records in the body, e.g. 'data'; '' (or no `records`) when the body is the array",
    })
  }

  /** The next URL the page names, or null when it names none (poll this page again). */
  function nextOf(page: FetchedPage, url: string): string | null {
    if (bodyNext === null) return nextLink(page.headers.link, url)
    const v = at(page.body, bodyNext)
    if ((typeof v !== 'string' && typeof v !== 'number') || v === '') return null
    if (spec.cursorParam === undefined) return new URL(String(v), url).href
    const next = new URL(firstUrl)
    next.searchParams.set(spec.cursorParam, String(v))
    return next.href
  }

  /** The page's records not delivered before, mapped, with their ids; and every record's digest in page order. */
  function deliver(raw: unknown[], seenBefore: readonly string[], problems: PageProblems): { records: EvidenceRecord[]; digests: string[] } {
    const seen = new Set(seenBefore)
    const onPage = new Set<string>()
    const records: EvidenceRecord[] = []
    for (let i = 0; i < raw.length; i++) {
      const scratch = new PageProblems(where)
      const rec = mapping.apply(raw[i], { line: i + 1, id: NO_ID }, scratch)
      // a record the mapping gives no id (or cannot map) is known by its content instead
      const own = rec !== null && rec.id !== NO_ID ? rec.id : null
      const d = digest(own !== null ? `id:${own}` : `content:${JSON.stringify(raw[i])}`)
      onPage.add(d)
      if (seen.has(d)) continue
      seen.add(d)
      // its problems once, with its first delivery
      problems.absorb(scratch)
      if (rec === null) continue
      if (own === null) problems.warn(`records without an id from the mapping's \`id\`: identified by a hash of their content, so two identical records count as one`)
      rec.id = own !== null ? `api:${scope}:${own}` : `api:${scope}:sha256:${b64urlSha256(JSON.stringify(raw[i]))}`
      records.push(rec)
    }
    return { records, digests: [...onPage] }
  }

  function loop(url: string, why: string): EvidenceUnavailable {
    return new EvidenceUnavailable(`evidence source ${where}: the page at ${shown(url)} ${why}; reading on would loop`, {
      hint: 'the records up to that page were read. Check `evidence.source.next` and `cursorParam` against the API (a cursor in the wrong parameter is ignored, so the same page comes back), and that `pageSize` is not above what the API serves per page',
    })
  }

  return {
    kind: 'http-log-api',
    integrity: 'unchained',
    async *pages(after: string | null = null): AsyncGenerator<EvidencePage> {
      let pos: ApiPosition = after === null ? { url: firstUrl, seen: [], back: [] } : decodeCursor(after)
      // the pages this read and the last few polls left behind: a next link back to one is a loop
      const visited = new Set(pos.back)
      for (let n = 0; n < MAX_PAGES; n++) {
        const url = pos.url
        visited.add(digest(url))
        const page = await fetchPage(url)
        const raw = page.body === null ? [] : recordsOf(page.body)
        const explicit = page.body === null ? null : nextOf(page, url)
        const full = raw.length >= pageSize
        const problems = new PageProblems(where)
        const { records, digests } = deliver(raw, pos.seen, problems)
        let next = explicit ?? url
        let stuck: EvidenceUnavailable | null = null
        if (explicit === url && full) stuck = loop(url, 'was full and named itself as the next page')
        else if (explicit !== null && explicit !== url && visited.has(digest(explicit))) stuck = loop(url, `named a page already read (${shown(explicit)}) as the next one`)
        // after a loop, poll this page again: what it holds is in `seen`, so nothing comes twice
        if (stuck) next = url
        pos = {
          url: next,
          // an empty page re-sends nothing: keep what the last page with records may re-send
          seen: digests.length > 0 ? digests.slice(-MAX_SEEN) : pos.seen,
          back: next === url ? pos.back : leave(pos.back, url),
        }
        yield { records, cursor: encodeCursor(pos), problems: problems.snapshot() }
        if (stuck) throw stuck
        if (next === url || !full) return
      }
    },
    async close() {
      // ends a wait for a rate limit in progress; the HttpClient's Agent belongs to whoever made it
      aborts.abort()
    },
  }
}
