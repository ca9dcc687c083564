/**
 * The HTTP log API evidence source against a fake audit-log API on loopback: paging by Link header
 * (Okta's System Log: a next link on every page, the last one the link to poll) and by a body cursor
 * that stays put until a page fills (so the API serves its last page again), credentials from the
 * environment, rate limits and outages waited out or failed without loss, a looping next link, a
 * body that is not JSON, and a cursor that resumes in a fresh source without repeating a record.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { MappingFields } from '../../../harness/contracts/evidence-mapping.ts'
import type { EvidenceProblems, EvidenceSource } from '../../../harness/contracts/evidence-source.ts'
import type { HttpLogApiSourceSpec } from '../../../harness/contracts/target.ts'
import { httpLogApiSource, type HttpLogApiSourceOptions } from '../../../harness/evidence/http-log-api-source.ts'
import { openEvidenceSource } from '../../../harness/evidence/open-source.ts'
import { mergeProblems } from '../../../harness/evidence/problems.ts'
import { cleanupsPerTest, listenLoopback } from '../../helpers/listen.ts'

const FIELDS: MappingFields = {
  id: 'uuid',
  ts: 'published',
  decision: { from: 'outcome.result', map: { SUCCESS: 'allow', DENY: 'deny' } },
  reason: { from: 'outcome.reason', default: 'ok' },
  status: { const: 0 },
  component: { const: 'idp' },
  'principal.sub': 'actor.id',
  'principal.type': { const: 'user' },
}

interface Event {
  uuid: string
  published: string
  outcome: { result: string; reason?: string }
  actor: { id: string }
}

const event = (n: number): Event => ({
  uuid: `evt-${n}`,
  published: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  outcome: n % 2 ? { result: 'DENY', reason: 'scope.insufficient' } : { result: 'SUCCESS' },
  actor: { id: `u${n}` },
})

type Intercept = (url: URL, req: IncomingMessage, res: ServerResponse) => boolean

/**
 * The fake API. `link`: GET /api/v1/logs?limit=&after=<n>, records after event n, a next link on
 * every page (to after=<last> or, on an empty page, to itself), like Okta. `body`: GET
 * /v1/audit?limit=&cursor=<n>, `{ data, next_cursor }` with next_cursor only on a full page, so a
 * short page is served again (grown) at the same cursor.
 */
class FakeLogApi {
  readonly events: Event[] = []
  readonly requests: URL[] = []
  readonly auth: (string | undefined)[] = []
  /** answers instead of the API while it returns true */
  intercept: Intercept | null = null
  /** the Authorization value the API wants; undefined: none */
  token: string | undefined
  origin = ''

  add(from: number, to: number): void {
    for (let n = from; n <= to; n++) this.events.push(event(n))
  }

  async listen(cleanups: (() => Promise<void> | void)[]): Promise<this> {
    const server = createServer((req, res) => this.#serve(req, res))
    this.origin = `http://127.0.0.1:${await listenLoopback(server, cleanups)}`
    return this
  }

  #serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url!, this.origin)
    this.requests.push(url)
    this.auth.push(req.headers.authorization)
    if (this.intercept?.(url, req, res)) return
    if (this.token !== undefined && req.headers.authorization !== this.token) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' }))
      return
    }
    const limit = Number(url.searchParams.get('limit') ?? 1000)
    if (url.pathname === '/api/v1/logs') {
      const after = Number(url.searchParams.get('after') ?? 0)
      const page = this.events.slice(after, after + limit)
      const next = new URL(url)
      next.searchParams.set('after', String(after + page.length))
      // two Link headers, a self link first; the next link relative, as RFC 8288 allows
      res.setHeader('link', [`<${url.pathname}${url.search}>; rel="self"`, `<${next.pathname}${next.search}>; rel="next"`])
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page))
      return
    }
    if (url.pathname === '/v1/audit') {
      const from = Number(url.searchParams.get('cursor') ?? 0)
      const data = this.events.slice(from, from + limit)
      const body = { data, ...(data.length === limit ? { next_cursor: String(from + data.length) } : {}) }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      return
    }
    res.writeHead(404).end()
  }
}

const cleanups = cleanupsPerTest()
let api: FakeLogApi
beforeEach(async () => {
  api = await new FakeLogApi().listen(cleanups)
})

const SECRET_ENV = 'GATECRASH_TEST_LOG_API_TOKEN'
afterEach(() => {
  delete process.env[SECRET_ENV]
})

const linkSpec = (over: Partial<HttpLogApiSourceSpec> = {}): HttpLogApiSourceSpec => ({
  kind: 'http-log-api',
  url: `${api.origin}/api/v1/logs?limit={limit}`,
  next: 'link',
  pageSize: 10,
  mapping: { fields: FIELDS },
  ...over,
})

const bodySpec = (over: Partial<HttpLogApiSourceSpec> = {}): HttpLogApiSourceSpec => ({
  kind: 'http-log-api',
  url: `${api.origin}/v1/audit?limit={limit}`,
  next: { body: 'next_cursor' },
  cursorParam: 'cursor',
  records: 'data',
  pageSize: 10,
  mapping: { fields: FIELDS },
  ...over,
})

const FAST: HttpLogApiSourceOptions = { declaredIn: 'targets/okta-like.ts', retry: { baseMs: 20, capMs: 2000 } }

type CodedError = Error & { code?: string; hint?: string; key?: string }

/** Every page of one pages() call up to its end or its error: what a caller keeps when a read fails midway. */
async function read(source: EvidenceSource, after: string | null = null) {
  const uuids: string[] = []
  const ids: string[] = []
  let cursor = after
  let pages = 0
  let problems: EvidenceProblems | undefined
  let error = null as CodedError | null
  try {
    for await (const page of source.pages(after)) {
      pages++
      for (const r of page.records) {
        ids.push(r.id)
        uuids.push(r.id.split(':').at(-1)!)
      }
      cursor = page.cursor ?? cursor
      if (page.problems) problems = mergeProblems(problems, page.problems)
    }
  } catch (e) {
    error = e as CodedError
  }
  return { uuids, ids, cursor, pages, problems, error }
}

const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `evt-${from + i}`)

describe('paging', () => {
  test('Link header: follows rel="next" while pages are full, then polls the last next link; ids are the API\'s own', async () => {
    api.add(1, 25)
    const source = httpLogApiSource(linkSpec(), FAST)
    expect(source).toMatchObject({ kind: 'http-log-api', integrity: 'unchained' })
    expect(source.heads).toBeUndefined()
    const first = await read(source)
    expect(first.error).toBeNull()
    expect(first.uuids).toEqual(range(1, 25))
    expect(first.pages).toBe(3)
    expect(api.requests.map((u) => u.searchParams.get('after'))).toEqual([null, '10', '20'])
    expect(api.requests[0].searchParams.get('limit')).toBe('10')
    expect(first.ids[0]).toMatch(/^api:[\w-]{12}:evt-1$/)
    expect(new Set(first.ids).size).toBe(25)

    // caught up: one request at the link the last page named, nothing new
    const idle = await read(source, first.cursor)
    expect(idle).toMatchObject({ uuids: [], pages: 1, error: null })
    expect(api.requests.at(-1)!.searchParams.get('after')).toBe('25')

    api.add(26, 28)
    const next = await read(source, idle.cursor)
    expect(next.uuids).toEqual(range(26, 28))
    expect(api.requests).toHaveLength(5)
  })

  test('body cursor: the cursor goes into cursorParam; a short page is served again at the same cursor and nothing comes twice', async () => {
    api.add(1, 15)
    const source = httpLogApiSource(bodySpec(), FAST)
    const first = await read(source)
    expect(first.uuids).toEqual(range(1, 15))
    expect(api.requests.map((u) => u.searchParams.get('cursor'))).toEqual([null, '10'])

    // the API serves evt-11..15 again at cursor=10: de-duplicated by the record's own id
    const again = await read(source, first.cursor)
    expect(again).toMatchObject({ uuids: [], error: null })
    expect(api.requests.at(-1)!.searchParams.get('cursor')).toBe('10')

    api.add(16, 22)
    const grown = await read(source, again.cursor)
    // cursor=10 now gives a full page (11..20) and a next cursor, then 21..22
    expect(grown.uuids).toEqual(range(16, 22))
    expect(api.requests.slice(-2).map((u) => u.searchParams.get('cursor'))).toEqual(['10', '20'])
  })

  test('the cursor resumes in a new source object without repeating or losing a record', async () => {
    api.add(1, 15)
    const first = await read(httpLogApiSource(bodySpec(), FAST))
    api.add(16, 17)
    const fresh = await read(httpLogApiSource(bodySpec(), FAST), first.cursor)
    expect(fresh.uuids).toEqual(range(16, 17))
    const linkFirst = await read(httpLogApiSource(linkSpec(), FAST))
    expect(linkFirst.uuids).toEqual(range(1, 17))
    api.add(18, 18)
    expect((await read(httpLogApiSource(linkSpec(), FAST), linkFirst.cursor)).uuids).toEqual(['evt-18'])
  })

  test('the body is the array when `records` is absent, and a body value without cursorParam is the next URL', async () => {
    api.add(1, 3)
    api.intercept = (url, _req, res) => {
      if (url.pathname !== '/v2/events') return false
      const from = Number(url.searchParams.get('from') ?? 0)
      const data = api.events.slice(from, from + 2)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ page: { items: data }, links: { next: data.length === 2 ? `/v2/events?from=${from + 2}` : null } }))
      return true
    }
    const source = httpLogApiSource(bodySpec({ url: `${api.origin}/v2/events`, cursorParam: undefined, next: { body: 'links.next' }, records: 'page.items', pageSize: 2 }), FAST)
    const got = await read(source)
    expect(got.uuids).toEqual(range(1, 3))
    expect(api.requests.map((u) => u.searchParams.get('from'))).toEqual([null, '2'])
  })

  test('a record the mapping cannot use is counted once, even when its page is served again', async () => {
    const { published: _, ...undated } = event(2)
    api.events.push(event(1), undated as Event, event(3))
    const source = httpLogApiSource(bodySpec(), FAST)
    const first = await read(source)
    expect(first.uuids).toEqual(['evt-1', 'evt-3'])
    expect(first.problems).toEqual({ unmapped: 1, examples: [`record 2 of a page from ${api.origin}/v1/audit: ts: no \`published\``], warnings: [] })
    const again = await read(source, first.cursor)
    expect(again.uuids).toEqual([])
    expect(again.problems).toEqual({ unmapped: 0, examples: [], warnings: [] })
  })

  test('opened from the profile declaration by openEvidenceSource', async () => {
    api.add(1, 2)
    const source = openEvidenceSource(linkSpec(), { declaredIn: 'targets/okta-like.ts' })
    expect(source.kind).toBe('http-log-api')
    expect((await read(source)).uuids).toEqual(['evt-1', 'evt-2'])
  })
})

describe('credentials', () => {
  const SECRET = 'okta-api-token-00000000000000000000000000000000000000'

  test('the auth header is the prefix and the environment variable; 401 names the variable, never the secret', async () => {
    api.add(1, 2)
    api.token = `SSWS ${SECRET}`
    process.env[SECRET_ENV] = SECRET
    const auth = { header: 'Authorization', env: SECRET_ENV, prefix: 'SSWS ' }
    expect((await read(httpLogApiSource(linkSpec({ auth }), FAST))).uuids).toEqual(['evt-1', 'evt-2'])
    expect(api.auth[0]).toBe(`SSWS ${SECRET}`)

    process.env[SECRET_ENV] = `${SECRET}-revoked`
    const refused = await read(httpLogApiSource(linkSpec({ auth }), FAST))
    expect(refused.error).toMatchObject({ code: 'ERR_EVIDENCE_UNAVAILABLE' })
    expect(refused.error!.message).toContain('HTTP 401')
    expect(refused.error!.hint).toContain(SECRET_ENV)
    expect(refused.error!.hint).toContain('Authorization')
    expect(`${refused.error!.message} ${refused.error!.hint}`).not.toContain(SECRET)
    expect(api.requests).toHaveLength(2)
  })

  test('an unset variable is a config error naming it, before any request', () => {
    const make = () => httpLogApiSource(linkSpec({ auth: { header: 'Authorization', env: SECRET_ENV } }), FAST)
    expect(make).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_INVALID', key: 'evidence.source.auth.env', message: expect.stringContaining(SECRET_ENV) }))
    expect(api.requests).toHaveLength(0)
  })

  test('403 without credentials declared says to declare them', async () => {
    api.intercept = (_u, _r, res) => (res.writeHead(403).end(), true)
    const got = await read(httpLogApiSource(linkSpec(), FAST))
    expect(got.error).toMatchObject({ code: 'ERR_EVIDENCE_UNAVAILABLE', message: expect.stringContaining('HTTP 403') })
    expect(got.error!.hint).toContain('evidence.source.auth')
  })
})

describe('rate limits and outages', () => {
  /** fails the first `n` requests with `status` and `headers`, then lets the API answer */
  const failFirst = (n: number, status: number, headers: Record<string, string> = {}): void => {
    let left = n
    api.intercept = (_u, _r, res) => {
      if (left <= 0) return false
      left--
      res.writeHead(status, headers).end()
      return true
    }
  }

  test('429 with Retry-After: waits at least that long, retries the same page, loses and doubles nothing', async () => {
    api.add(1, 12)
    failFirst(1, 429, { 'retry-after': '1' })
    const started = performance.now()
    const got = await read(httpLogApiSource(linkSpec(), FAST))
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000)
    expect(got.error).toBeNull()
    expect(got.uuids).toEqual(range(1, 12))
    expect(api.requests.map((u) => u.searchParams.get('after'))).toEqual([null, null, '10'])
  })

  test('503 (no Retry-After) is retried with backoff', async () => {
    api.add(1, 3)
    failFirst(2, 503)
    const got = await read(httpLogApiSource(linkSpec(), FAST))
    expect(got).toMatchObject({ uuids: range(1, 3), error: null })
    expect(api.requests).toHaveLength(3)
  })

  test('GitHub-style 403 with X-RateLimit-Remaining: 0 is a rate limit, waited until the reset', async () => {
    api.add(1, 1)
    failFirst(1, 403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)) })
    expect((await read(httpLogApiSource(linkSpec(), FAST))).uuids).toEqual(['evt-1'])
    expect(api.requests).toHaveLength(2)
  })

  test('503 that persists: EvidenceUnavailable after the tries; the next read after recovery loses and repeats nothing', async () => {
    api.add(1, 25)
    // the first page is served, then the API goes down
    let down = false
    api.intercept = (_u, _r, res) => {
      if (api.requests.length === 1) down = true
      else if (down) return (res.writeHead(503, { 'retry-after': '0' }).end(), true)
      return false
    }
    const source = httpLogApiSource(linkSpec(), { ...FAST, retry: { tries: 3, baseMs: 10 } })
    const failed = await read(source)
    expect(failed.uuids).toEqual(range(1, 10))
    expect(failed.error).toMatchObject({ code: 'ERR_EVIDENCE_UNAVAILABLE', message: expect.stringContaining('after 3 tries') })
    expect(failed.error!.hint).toContain('nothing is lost')
    expect(api.requests).toHaveLength(4)

    down = false
    api.add(26, 27)
    const after = await read(source, failed.cursor)
    expect(after.error).toBeNull()
    expect([...failed.uuids, ...after.uuids]).toEqual(range(1, 27))
  })

  test('close() ends a wait in progress', async () => {
    failFirst(1, 429, { 'retry-after': '30' })
    const source = httpLogApiSource(linkSpec(), { ...FAST, retry: { capMs: 30_000 } })
    const reading = read(source)
    await new Promise((r) => setTimeout(r, 100))
    const started = performance.now()
    await source.close()
    const got = await reading
    expect(performance.now() - started).toBeLessThan(1000)
    expect(got.error).toMatchObject({ code: 'ERR_EVIDENCE_UNAVAILABLE', message: expect.stringContaining('closed') })
  })
})

describe('what cannot be read', () => {
  test('a full page that names itself as next: the page is handed on once, then every read fails with a code', async () => {
    api.add(1, 10)
    api.intercept = (url, _r, res) => {
      res.setHeader('link', `<${url.pathname}${url.search}>; rel="next"`)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(api.events.slice(0, 10)))
      return true
    }
    const source = httpLogApiSource(linkSpec(), FAST)
    const first = await read(source)
    expect(first.uuids).toEqual(range(1, 10))
    expect(first.error).toMatchObject({ code: 'ERR_EVIDENCE_UNAVAILABLE', message: expect.stringContaining('named itself as the next page') })
    expect(api.requests).toHaveLength(1)
    const again = await read(source, first.cursor)
    expect(again).toMatchObject({ uuids: [], error: { code: 'ERR_EVIDENCE_UNAVAILABLE' } })
  })

  test('a next cursor that goes back to a page already read, across polls too', async () => {
    api.add(1, 25)
    // pages of 10 from the start and at cursor 10; then the API hands out cursor 10 again
    api.intercept = (url, _r, res) => {
      if (url.searchParams.get('cursor') !== '20') return false
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: api.events.slice(20, 25), next_cursor: '10' }))
      return true
    }
    const source = httpLogApiSource(bodySpec(), FAST)
    const got = await read(source)
    expect(got.uuids).toEqual(range(1, 25))
    expect(got.error).toMatchObject({ code: 'ERR_EVIDENCE_UNAVAILABLE', message: expect.stringContaining('already read') })
    expect(api.requests.map((u) => u.searchParams.get('cursor'))).toEqual([null, '10', '20'])
    // a later poll, from a fresh object: still a loop, still nothing twice
    const again = await read(httpLogApiSource(bodySpec(), FAST), got.cursor)
    expect(again).toMatchObject({ uuids: [], error: { code: 'ERR_EVIDENCE_UNAVAILABLE' } })
  })

  test('a body that is not JSON, or no array at `records`: ERR_EVIDENCE_MAPPING at evidence.source.records', async () => {
    api.intercept = (_u, _r, res) => (res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Sign in</html>'), true)
    const html = await read(httpLogApiSource(linkSpec(), FAST))
    expect(html.error).toMatchObject({ code: 'ERR_EVIDENCE_MAPPING', key: 'evidence.source.records', file: 'targets/okta-like.ts', message: expect.stringContaining('not JSON') })
    expect(html.error!.message).not.toContain('Sign in')

    api.add(1, 1)
    api.intercept = null
    const wrong = await read(httpLogApiSource(bodySpec({ records: 'items' }), FAST))
    expect(wrong.error).toMatchObject({ code: 'ERR_EVIDENCE_MAPPING', key: 'evidence.source.records', message: expect.stringContaining('nothing at') })
  })

  test('a mapping without the API\'s id is refused when the source is made', () => {
    const { id: _, ...noId } = FIELDS
    expect(() => httpLogApiSource(linkSpec({ mapping: { fields: noId } }), FAST)).toThrow(expect.objectContaining({ code: 'ERR_EVIDENCE_MAPPING', key: 'evidence.source.mapping.fields.id' }))
  })

  test('a next link to a host the policy does not allow is refused, not followed', async () => {
    api.add(1, 10)
    api.intercept = (_u, _r, res) => {
      res.setHeader('link', '<http://10.1.2.3/api/v1/logs?after=10>; rel="next"')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(api.events))
      return true
    }
    const got = await read(httpLogApiSource(linkSpec(), FAST))
    expect(got.uuids).toEqual(range(1, 10))
    expect(got.error).toMatchObject({ code: 'ERR_EVIDENCE_UNAVAILABLE', message: expect.stringContaining('10.1.2.3') })
    expect(api.requests).toHaveLength(1)
  })
})
