/**
 * One page of a log API: the request through the run's HttpClient (its host policy judges every URL,
 * a next link the API hands over included, and every address dialled), the credentials from their
 * environment variable, the waits a rate limit or an unavailable API asks for, and the status and
 * body turned into the contract's errors.
 *
 * A wait is bounded (`capMs` each, `tries` in all) and a failure after them is EvidenceUnavailable:
 * the caller's cursor has not moved past the page, so the live tail's next poll asks again and
 * nothing is lost. Messages name the API by origin and path (a query holds cursors, not worth
 * printing) and a credential by its variable, never by its value; no response body is quoted.
 */
import { EvidenceMappingInvalid, EvidenceUnavailable, ProfileInvalid } from '../contracts/errors.ts'
import type { HttpLogApiSourceSpec } from '../contracts/target.ts'
import type { HttpClient, HttpHeaders, HttpResponse } from '../protocol/http.ts'
import { isRateLimit403, retryAfterMs } from './retry-after.ts'

export interface RetryPolicy {
  /** requests per page at most, the first included */
  tries: number
  /** the first backoff when the server names no wait; doubled each try */
  baseMs: number
  /** the longest single wait, whatever the server asks */
  capMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { tries: 5, baseMs: 500, capMs: 30_000 }
const REQUEST_TIMEOUT_MS = 15_000

export interface FetchedPage {
  headers: HttpHeaders
  /** the parsed body; null for 204 No Content (nothing new) */
  body: unknown
  /** waits the page needed (429/503), for tests and messages */
  waits: number
}

export interface PageFetcherOptions {
  http: HttpClient
  declaredIn: string
  retry: RetryPolicy
  /** aborted by the source's close(): a wait in progress ends with EvidenceUnavailable */
  signal: AbortSignal
}

/** origin and path: how messages name a URL */
export const shown = (url: string | URL): string => {
  const u = typeof url === 'string' ? new URL(url) : url
  return `${u.origin}${u.pathname}`
}

/** Throws the config error naming the variable when the spec's credentials are not in the environment. */
export function authHeaders(auth: HttpLogApiSourceSpec['auth'], declaredIn: string): Record<string, string> {
  if (!auth) return {}
  const value = process.env[auth.env]
  if (!value) {
    throw new ProfileInvalid(`${declaredIn}: \`evidence.source.auth.env\` names the environment variable ${auth.env}, which is not set`, {
      file: declaredIn,
      key: 'evidence.source.auth.env',
      hint: `export ${auth.env}=<the log API's token> before the run (secrets never live in the profile)`,
    })
  }
  return { [auth.header]: (auth.prefix ?? '') + value }
}

export function pageFetcher(spec: HttpLogApiSourceSpec, options: PageFetcherOptions): (url: string) => Promise<FetchedPage> {
  const { http, declaredIn, retry, signal } = options

  async function sleep(ms: number, url: string): Promise<void> {
    if (ms <= 0) return
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        if (signal.aborted) reject(new EvidenceUnavailable(`evidence source ${shown(url)}: closed while waiting to retry`, { hint: 'the run closed the source; nothing to do' }))
        else resolve()
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', done, { once: true })
    })
  }

  return async function fetchPage(url: string): Promise<FetchedPage> {
    let waits = 0
    for (let attempt = 1; attempt <= retry.tries; attempt++) {
      if (signal.aborted) throw new EvidenceUnavailable(`evidence source ${shown(url)}: the source is closed`, { hint: 'the run closed the source; nothing to do' })
      const res = await send(url)
      if (res.status >= 200 && res.status < 300) return { headers: res.headers, body: res.status === 204 ? null : parse(res, url), waits }
      const limited = res.status === 429 || res.status === 503 || (res.status === 403 && isRateLimit403(res.headers))
      if (!limited) throw statusError(res, url)
      if (attempt === retry.tries) throw exhausted(res, url, attempt)
      const asked = retryAfterMs(res.headers)
      await sleep(Math.min(asked ?? retry.baseMs * 2 ** (attempt - 1), retry.capMs), url)
      waits++
    }
    // tries < 1: a programming error, not a user's
    throw new TypeError(`retry.tries must be at least 1, not ${retry.tries}`)
  }

  async function send(url: string): Promise<HttpResponse> {
    try {
      return await http.request(url, { headers: authHeaders(spec.auth, declaredIn), timeoutMs: REQUEST_TIMEOUT_MS })
    } catch (e) {
      if (e instanceof ProfileInvalid) throw e
      const why = e as Error & { hint?: string }
      // the policy's and TLS's own message and hint when that is what failed, as the http-cursor source does
      const specific = why.name === 'TargetUnsafe' || why.name === 'TargetTlsFailed'
      throw new EvidenceUnavailable(specific ? `evidence source ${shown(url)}: ${why.message}` : `evidence source ${shown(url)} failed: ${why.message}`, {
        cause: e,
        hint: specific ? why.hint : 'the log API must be reachable until the run has read every record; the next read retries from the same cursor',
      })
    }
  }

  function parse(res: HttpResponse, url: string): unknown {
    try {
      return JSON.parse(res.text)
    } catch (e) {
      const type = String(res.headers['content-type'] ?? 'no content type')
      throw new EvidenceMappingInvalid(`${declaredIn}: the log API at ${shown(url)} answered ${res.status} with a body that is not JSON (${type}, ${res.text.length} characters)`, {
        cause: e,
        file: declaredIn,
        key: 'evidence.source.records',
        hint: '`evidence.source.url` must name the JSON endpoint of the audit log (an HTML answer is often a login page: check the URL and `auth`)',
      })
    }
  }

  function statusError(res: HttpResponse, url: string): EvidenceUnavailable {
    const what = `evidence source ${shown(url)} answered HTTP ${res.status}`
    if (res.status === 401 || res.status === 403) {
      const hint = spec.auth
        ? `the API refused the credentials in header ${spec.auth.header} from the environment variable ${spec.auth.env}: check that it holds a valid token${res.status === 403 ? ' allowed to read the audit log' : ''} for this API`
        : 'the API wants credentials: declare `evidence.source.auth: { header, env, prefix? }` and export the token in that environment variable'
      return new EvidenceUnavailable(`${what}: ${res.status === 401 ? 'bad or missing credentials' : 'forbidden'}`, { hint })
    }
    if (res.status >= 300 && res.status < 400) {
      const to = typeof res.headers.location === 'string' ? ` to ${shown(new URL(res.headers.location, url))}` : ''
      return new EvidenceUnavailable(`${what} (a redirect${to})`, { hint: 'gatecrash follows no redirect: put the URL it redirects to in `evidence.source.url`' })
    }
    if (res.status === 404) return new EvidenceUnavailable(what, { hint: 'check `evidence.source.url`: the audit log endpoint was not found there' })
    return new EvidenceUnavailable(what, { hint: res.status >= 500 ? 'the log API failed; the next read retries from the same cursor' : 'check `evidence.source.url`, `cursorParam` and `pageSize` against the API\'s documentation' })
  }

  function exhausted(res: HttpResponse, url: string, tries: number): EvidenceUnavailable {
    const kind = res.status === 503 ? 'unavailable' : 'rate limited'
    return new EvidenceUnavailable(`evidence source ${shown(url)} still ${kind} (HTTP ${res.status}) after ${tries} tries`, {
      hint: res.status === 503
        ? 'the log API is down or overloaded; the next read retries from the same cursor, nothing is lost'
        : 'the log API limits how often it may be read: the next read retries from the same cursor; if this persists, ask for a higher rate limit for the token or read less often',
    })
  }
}
