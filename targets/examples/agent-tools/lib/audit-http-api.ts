/**
 * The log-API audit sink (EXAMPLE_AUDIT_SINK=http-api): the component keeps its JSON-lines file as
 * before, each line now with its own `event_id`, and serves the records over a paged log API the
 * way identity providers' system logs do (Okta's System Log, Auth0's log streams), on a loopback
 * port of its own: the log API is an operator's interface, not the tool API.
 *
 *   GET /audit/events?limit=N&after=<cursor>     Authorization: Bearer <EXAMPLE_AUDIT_API_TOKEN>
 *   200 [ { "event_id": "…", <the record> }, … ]
 *   Link: <http://127.0.0.1:PORT/audit/events?after=…&limit=N>; rel="next"     (always, for polling)
 *
 * The cursor is opaque to clients (a position in this component's trail). The records are held in
 * memory and rebuilt from the file at start, so a cursor and an event's id survive a restart.
 * Requests beyond EXAMPLE_AUDIT_API_RATE per second are answered 429 with `Retry-After: 1`.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { AuditRecord, AuditSink } from './audit-log.ts'
import { JsonlFile } from './audit-jsonl.ts'
import { HOST } from './env.ts'

export const EVENTS_PATH = '/audit/events'
const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1_000

export interface HttpApiOptions {
  /** the JSON-lines file the records are kept in (never '-': the API re-reads it at start) */
  file: string
  port: number
  /** the bearer token the API requires */
  token: string
  /** requests per second over all clients before 429 */
  ratePerSecond: number
}

export type AuditEvent = AuditRecord & { event_id: string }

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** The records already in the file; a line written without an id (by the jsonl sink) gets one derived from its place. */
function readTrail(file: string): AuditEvent[] {
  if (!existsSync(file)) return []
  const out: AuditEvent[] = []
  const lines = readFileSync(file, 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue
    try {
      const rec = JSON.parse(lines[i]) as AuditEvent
      out.push(typeof rec.event_id === 'string' ? rec : { ...rec, event_id: `line-${digest(`${path.resolve(file)}\n${i}\n${lines[i]}`).toString('hex').slice(0, 24)}` })
    } catch {
      process.stderr.write(`audit: ${file} line ${i + 1} is not JSON: not served\n`)
    }
  }
  return out
}

export class HttpApiSink implements AuditSink {
  readonly #file: JsonlFile
  readonly #events: AuditEvent[]
  readonly #server: Server
  readonly #tokenDigest: Buffer
  readonly #rate: number
  #window = { second: 0, count: 0 }
  /** the API's own origin, from the bound port (never the Host header) */
  origin = ''

  private constructor(opts: HttpApiOptions) {
    if (opts.file === '-') throw new Error('EXAMPLE_AUDIT_SINK=http-api keeps its records in a file: the audit log cannot be stdout')
    if (opts.token.length < 16) throw new Error('EXAMPLE_AUDIT_API_TOKEN must be at least 16 characters')
    this.#events = readTrail(opts.file)
    this.#file = new JsonlFile(opts.file)
    this.#tokenDigest = digest(opts.token)
    this.#rate = opts.ratePerSecond
    this.#server = createServer((req, res) => this.#handle(req, res))
  }

  static async open(opts: HttpApiOptions): Promise<HttpApiSink> {
    const sink = new HttpApiSink(opts)
    await new Promise<void>((resolve, reject) => {
      sink.#server.once('error', reject)
      sink.#server.listen(opts.port, HOST, () => resolve())
    })
    sink.origin = `http://${HOST}:${(sink.#server.address() as AddressInfo).port}`
    return sink
  }

  write(record: AuditRecord): void {
    const event: AuditEvent = { event_id: randomUUID(), ...record }
    this.#file.append(event)
    this.#events.push(event)
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve())
      this.#server.closeAllConnections()
    })
    this.#file.close()
  }

  /** Fixed one-second windows over every request: a log API's rate limit is per tenant, not per route. */
  #allowed(now: number): { ok: boolean; remaining: number; reset: number } {
    const second = Math.floor(now / 1000)
    if (this.#window.second !== second) this.#window = { second, count: 0 }
    this.#window.count++
    return { ok: this.#window.count <= this.#rate, remaining: Math.max(0, this.#rate - this.#window.count), reset: second + 1 }
  }

  #authorized(req: IncomingMessage): boolean {
    const m = /^Bearer ([!-~]+)$/i.exec(req.headers.authorization ?? '')
    return m !== null && timingSafeEqual(digest(m[1]), this.#tokenDigest)
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
      res.end(JSON.stringify(body))
    }
    const url = new URL(req.url ?? '/', this.origin)
    if (url.pathname !== EVENTS_PATH) return send(404, { error: 'not_found' })
    if (req.method !== 'GET') return send(405, { error: 'method_not_allowed' }, { allow: 'GET' })
    const rate = this.#allowed(Date.now())
    const rateHeaders = { 'x-rate-limit-limit': String(this.#rate), 'x-rate-limit-remaining': String(rate.remaining), 'x-rate-limit-reset': String(rate.reset) }
    if (!rate.ok) return send(429, { error: 'too_many_requests' }, { ...rateHeaders, 'retry-after': '1' })
    if (!this.#authorized(req)) return send(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer realm="audit"' })

    const limitRaw = url.searchParams.get('limit')
    const limit = limitRaw === null ? DEFAULT_LIMIT : Number(limitRaw)
    if (!Number.isInteger(limit) || limit < 1) return send(400, { error: 'invalid_request', error_description: 'limit must be a positive integer' })
    const afterRaw = url.searchParams.get('after')
    const after = afterRaw === null ? 0 : /^\d{1,15}$/.test(afterRaw) ? Number(afterRaw) : NaN
    if (!Number.isSafeInteger(after) || after > this.#events.length) return send(400, { error: 'invalid_request', error_description: 'unknown cursor' })
    const size = Math.min(limit, MAX_LIMIT)
    const page = this.#events.slice(after, after + size)
    // always a next link: a poller follows it, and an empty page tells it to wait
    const next = `${this.origin}${EVENTS_PATH}?after=${after + page.length}&limit=${size}`
    send(200, page, { ...rateHeaders, link: `<${next}>; rel="next"` })
  }
}
