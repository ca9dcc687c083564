/**
 * RFC 8288 Link headers as log APIs send them (several links, several headers, quoted and multi-valued
 * rel, commas and semicolons inside URLs and quoted parameters, relative targets), and the waits a
 * rate-limited API asks for (Retry-After as seconds or an HTTP-date, Okta's and GitHub's reset times).
 */
import { describe, expect, test } from 'vitest'
import { nextLink, parseLinkHeader } from '../../../harness/evidence/link-header.ts'
import { isRateLimit403, retryAfterMs } from '../../../harness/evidence/retry-after.ts'

const BASE = 'https://example.okta.com/api/v1/logs?limit=1000'

describe('Link header', () => {
  test("Okta's two links in two headers: the next one, not self", () => {
    const headers = ['<https://example.okta.com/api/v1/logs?limit=1000>; rel="self"', '<https://example.okta.com/api/v1/logs?limit=1000&after=1695000000000_1>; rel="next"']
    expect(nextLink(headers, BASE)).toBe('https://example.okta.com/api/v1/logs?limit=1000&after=1695000000000_1')
  })

  test('several links in one header, commas and semicolons inside the URL and a quoted title', () => {
    const value = '<https://api.github.com/audit-log?phrase=a,b;c&after=X>; rel="prev", <https://api.github.com/audit-log?phrase=a,b;c&after=Y>; title="next, really; yes"; rel="next"'
    const links = parseLinkHeader(value, BASE)
    expect(links.map((l) => [l.href, l.rel])).toEqual([
      ['https://api.github.com/audit-log?phrase=a,b;c&after=X', ['prev']],
      ['https://api.github.com/audit-log?phrase=a,b;c&after=Y', ['next']],
    ])
    expect(links[1].params.title).toBe('next, really; yes')
    expect(nextLink(value, BASE)).toBe('https://api.github.com/audit-log?phrase=a,b;c&after=Y')
  })

  test('rel with several space-separated types, any case, unquoted; a relative target resolved against the request URL', () => {
    expect(nextLink('</api/v1/logs?after=9>; REL="Next Last"', BASE)).toBe('https://example.okta.com/api/v1/logs?after=9')
    expect(nextLink('<?after=9>;rel=next', BASE)).toBe('https://example.okta.com/api/v1/logs?after=9')
  })

  test('only the first rel counts; a link anchored elsewhere is not this page\'s next; escapes in quoted values', () => {
    expect(nextLink('</a>; rel="prev"; rel="next"', BASE)).toBeNull()
    expect(nextLink('</other>; rel="next"; anchor="/elsewhere", </mine>; rel="next"', BASE)).toBe('https://example.okta.com/mine')
    expect(parseLinkHeader('</a>; title="say \\"hi\\""; rel=next', BASE)[0].params.title).toBe('say "hi"')
  })

  test('malformed parts are skipped, the rest still read; nothing: null', () => {
    expect(nextLink('garbage, </b>; =x, </c>; rel="next"', BASE)).toBe('https://example.okta.com/c')
    expect(nextLink('</unterminated; rel="next"', BASE)).toBeNull()
    expect(nextLink(undefined, BASE)).toBeNull()
    expect(nextLink('', BASE)).toBeNull()
  })
})

describe('Retry-After and reset times', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')

  test('delta-seconds, an HTTP-date, a date already past', () => {
    expect(retryAfterMs({ 'retry-after': '7' }, now)).toBe(7000)
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, now)).toBe(3000)
    expect(retryAfterMs({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }, now)).toBe(0)
  })

  test("Okta's X-Rate-Limit-Reset and GitHub's X-RateLimit-Reset (epoch seconds) when there is no Retry-After", () => {
    expect(retryAfterMs({ 'x-rate-limit-reset': String(now / 1000 + 12) }, now)).toBe(12_000)
    expect(retryAfterMs({ 'x-ratelimit-reset': String(now / 1000 + 2) }, now)).toBe(2000)
    expect(retryAfterMs({ 'retry-after': '1', 'x-rate-limit-reset': String(now / 1000 + 60) }, now)).toBe(1000)
  })

  test('nothing usable: null', () => {
    expect(retryAfterMs({}, now)).toBeNull()
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeNull()
  })

  test('a 403 is a rate limit only with the limit headers', () => {
    expect(isRateLimit403({ 'x-ratelimit-remaining': '0' })).toBe(true)
    expect(isRateLimit403({ 'retry-after': '60' })).toBe(true)
    expect(isRateLimit403({ 'x-ratelimit-remaining': '41' })).toBe(false)
    expect(isRateLimit403({})).toBe(false)
  })
})
