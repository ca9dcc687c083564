/**
 * A keep-alive HTTP/1.1 connection pool for one origin: the load hot path's client.
 *
 * Why not undici here: `npm run bench` measures undici's dispatch path at ~25–30 µs more client
 * CPU per request than a plain socket client (autocannon's design: one string written per request,
 * the response read by http-parser-js), and issue 4 holds the whole attempt to 1.5 × (autocannon +
 * one ES256 signature). Everything off the hot path (provisioning, admin and evidence calls) still
 * goes through undici (protocol/http.ts). The response parser is http-parser-js, the one autocannon
 * uses: chunked and sized bodies, bodies read to EOF, keep-alive, duplicate Content-Length errors;
 * a read holding exactly one whole Content-Length response skips it (simple-response.ts, held to
 * http-parser-js's results by a differential test).
 *
 * Behaviour the harness relies on (and test/unit/load/http1-pool.test.ts holds it to):
 * - at most `connections` sockets, opened on demand, reused (most recently idle first); requests
 *   beyond that wait in FIFO order;
 * - an informational (1xx) response is skipped; HEAD, 204 and 304 responses have no body;
 * - `Connection: close` (or HTTP/1.0 without keep-alive) closes the socket after the response; a
 *   socket idle for longer than the server's `Keep-Alive: timeout` hint (less a second) or than the
 *   pool's own `keepAliveTimeout` is closed before it is reused, as undici does;
 * - a reused socket that the server closed before a byte of the response came back is retried once
 *   on a new one (the race of a keep-alive timeout); nothing else is ever retried;
 * - timeouts: no response head within `headersTimeout`, or no body bytes for `bodyTimeout`, fail
 *   the request and close its socket (checked by one timer per pool, so ±¼ of the timeout);
 * - an abort rejects with `signal.reason` at once; a request already sent closes its socket;
 * - errors carry a stable `code`: the socket's own (ECONNREFUSED, ECONNRESET, EPIPE…) or one of
 *   HTTP_SOCKET_CLOSED, HTTP_HEADERS_TIMEOUT, HTTP_BODY_TIMEOUT, HTTP_PARSE_ERROR (with the
 *   parser's HPE_* code in the message), HTTP_INVALID_HEADER, HTTP_POOL_CLOSED; the host policy's
 *   refusal at connect time is its own TargetUnsafe (ERR_TARGET_UNSAFE).
 *
 * TLS: an `https:` origin is the same pool over `tls.connect` (servername from the host unless it is
 * an IP, ALPN http/1.1 only, the profile's CA or Node's and the system's roots as one SecureContext
 * per pool, the last session ticket offered on every new connection so a reconnect resumes instead
 * of a full handshake). Everything above works the same over it. A TLS failure has a code of its
 * own (HTTP_TLS_UNTRUSTED, HTTP_TLS_NAME_MISMATCH, HTTP_TLS_CERT_EXPIRED, HTTP_TLS_HANDSHAKE, and
 * HTTP_TLS_HANDSHAKE_TIMEOUT when `headersTimeout` passes before the handshake is done) and a `hint`
 * naming the origin and the CA file (protocol/tls-settings.ts).
 */
import { connect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions, type SecureContext } from 'node:tls'
import { HTTPParser } from 'http-parser-js'
import type { TargetTlsOptions } from '../contracts/target.ts'
import type { HttpHeaders } from '../protocol/http.ts'
import { findUnsafe, type LookupHook } from '../protocol/host-policy.ts'
import { loadTls, TLS_ERROR_CODES, tlsFailureKind, tlsFailureMessage, type TlsFailureKind } from '../protocol/tls-settings.ts'
import { parseSimpleResponse } from './simple-response.ts'

export interface Http1Request {
  method: string
  path: string
  /** flat name/value list, written in this order; a name may repeat; every name and value is checked */
  headers: string[]
  /**
   * name/value pairs written before `headers` WITHOUT the check: only for values the harness built
   * itself from characters that cannot break a header line (its trace ids, its own fresh DPoP
   * proofs: base64url and dots). Anything a target, a scenario or a user supplied goes in `headers`.
   */
  trusted?: string[]
  body?: string
  signal?: AbortSignal
  headersTimeout?: number
  bodyTimeout?: number
  /** whether the body is needed as text, given the final status and headers */
  wantBody: (status: number, headers: HttpHeaders) => boolean
  /**
   * sent on a new socket of its own, closed after the response, even past `connections`: requests
   * fired together this way reach a TCP round-robin front as separate connections, so they spread
   * over its replicas instead of following whichever idle sockets the pool holds
   */
  fresh?: boolean
}

export interface Http1Response {
  status: number
  /** response headers, names lower-cased, a repeated name as an array */
  headers: HttpHeaders
  /** the body as UTF-8 text (a leading BOM dropped) when `wantBody` said so, else null */
  text: string | null
}

export class HttpTransportError extends Error {
  readonly code: string
  /** what the user can do about it (TLS failures: the origin and the CA file) */
  readonly hint?: string
  constructor(code: string, message: string, hint?: string) {
    super(message)
    this.name = 'HttpTransportError'
    this.code = code
    if (hint !== undefined) this.hint = hint
  }
}

export interface Http1PoolOptions {
  connections: number
  /** the longest a socket may sit idle before it is closed (the server's hint can shorten it) */
  keepAliveTimeout?: number
  /** the connect-time host check (HostPolicy.lookup); net and tls skip it for an IP literal */
  lookup?: LookupHook
  /** for an `https:` origin: the target profile's `{ ca: '<path>' }`; Node's and the system's roots without it */
  tls?: TargetTlsOptions
}

const DEFAULT_TIMEOUT_MS = 30_000
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/
/**
 * Long header values that passed the check: access tokens (~700 chars) come back on every request
 * of their identity, and when the caller passes the same string object each time (sendAttempt
 * does), a Set lookup reuses its cached hash instead of scanning it again. Fresh DPoP proofs are
 * shorter and never repeat, so they
 * stay out. Cleared when full.
 */
const CHECKED_MIN_LENGTH = 600
const CHECKED_MAX = 4_096
const checked = new Set<string>()
const KEEP_ALIVE_HINT = /timeout=(\d+)/i
const LOWER_NAMES_MAX = 256
const LOWER_NAMES = new Map<string, string>()
const TOKEN_NAMES = new Set<string>()
const HAS_BODY_METHOD = new Set(['POST', 'PUT', 'PATCH'])
/** every socket's reads, one at a time (each is parsed, and its body bytes copied, before the next) */
const READ_BUFFER = Buffer.alloc(64 * 1024)

/** One request from the call until it settles. */
class Exchange {
  readonly head: string
  readonly req: Http1Request
  readonly headersTimeout: number
  readonly bodyTimeout: number
  resolve!: (r: Http1Response) => void
  reject!: (e: unknown) => void
  conn: Connection | null = null
  settled = false
  retried = false
  /** ms timestamps for the timeout sweep */
  sentAt = 0
  lastDataAt = 0
  status = 0
  headers: HttpHeaders | null = null
  keep = false
  chunks: Buffer[] | null = null
  pool: Http1Pool

  constructor(pool: Http1Pool, head: string, req: Http1Request) {
    this.pool = pool
    this.head = head
    this.req = req
    this.headersTimeout = req.headersTimeout ?? DEFAULT_TIMEOUT_MS
    this.bodyTimeout = req.bodyTimeout ?? DEFAULT_TIMEOUT_MS
  }

  /** the abort listener */
  handleEvent(): void {
    if (this.settled) return
    const reason = (this.req.signal?.reason as Error | undefined) ?? abortError()
    this.fail(reason)
    if (this.conn !== null) this.conn.destroy()
    else this.pool.dequeue(this)
  }

  succeed(res: Http1Response): void {
    if (this.settled) return
    this.finish()
    this.resolve(res)
  }

  fail(e: unknown): void {
    if (this.settled) return
    this.finish()
    this.reject(e)
  }

  private finish(): void {
    this.settled = true
    this.chunks = null
    this.req.signal?.removeEventListener('abort', this)
  }
}

/** One socket and its parser; carries one exchange at a time (no pipelining). */
class Connection {
  readonly socket: Socket
  readonly parser: InstanceType<typeof HTTPParser>
  readonly pool: Http1Pool
  ex: Exchange | null = null
  /** responses completed on this socket */
  served = 0
  /** whether any byte of the current response has arrived */
  gotBytes = false
  informational = false
  closeAfter = false
  /** the current response completed during this read; the socket is released once the read is parsed */
  ended = false
  /** the server sent a response nobody asked for: framing is lost, the socket goes */
  stray = false
  closed = false
  idleSince = 0
  /** idle and unref'd */
  parked = false
  idleLimit: number
  /** the last Keep-Alive header seen on this socket */
  hint = ''
  /** the parser holds no part of a message: the next read may take the simple-response path */
  parserIdle = true
  /** the TLS handshake is done (always true for plain http) */
  secured = true

  constructor(pool: Http1Pool) {
    this.pool = pool
    this.idleLimit = pool.keepAliveTimeout
    // Reads land in one buffer shared by every socket (onread) and are handed over straight from
    // the read callback, without the Readable stream's push, 'data' event and per-read Buffer.
    // Over TLS the same: onread gets the decrypted bytes.
    const onread = { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf) }
    const tls = pool.tls
    if (tls === null) {
      this.socket = connect({ host: pool.host, port: pool.port, noDelay: true, lookup: pool.lookup, onread })
    } else {
      this.secured = false
      // tls.connect takes onread too (Node's docs, not @types/node's ConnectionOptions)
      const options = { host: pool.host, port: pool.port, servername: pool.servername, ALPNProtocols: ['http/1.1'], secureContext: tls.secureContext, session: pool.tlsSession, lookup: pool.lookup, onread }
      const s = tlsConnect(options as ConnectionOptions)
      s.setNoDelay(true)
      s.once('secureConnect', () => (this.secured = true))
      s.on('session', (session: Buffer) => (pool.tlsSession = session))
      this.socket = s
    }
    this.parser = new HTTPParser(HTTPParser.RESPONSE)
    this.parser[HTTPParser.kOnHeadersComplete] = (info: { statusCode: number; headers: string[]; shouldKeepAlive: boolean }) => this.onHead(info.statusCode, info.headers, info.shouldKeepAlive)
    this.parser[HTTPParser.kOnBody] = (chunk: Buffer, offset: number, length: number) => this.onBody(chunk, offset, length, true)
    this.parser[HTTPParser.kOnMessageComplete] = () => this.onComplete()
    this.socket.on('end', () => this.onEnd())
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.onClose(this.pool.socketError(e)))
    this.socket.on('close', () => this.onClose(new HttpTransportError('HTTP_SOCKET_CLOSED', 'the server closed the connection before the response ended')))
  }

  send(ex: Exchange): void {
    this.ex = ex
    ex.conn = this
    this.gotBytes = false
    this.informational = false
    ex.sentAt = ex.lastDataAt = this.pool.now()
    const s = this.socket
    if (this.parked) {
      this.parked = false
      s.ref()
    }
    const body = ex.req.body
    if (body === undefined) {
      s.write(ex.head, 'latin1')
    } else {
      s.cork()
      s.write(ex.head, 'latin1')
      s.write(body, 'utf8')
      s.uncork()
    }
  }

  destroy(): void {
    if (this.closed) return
    this.socket.destroy()
  }

  /** onread's callback: true keeps the socket reading */
  private onRead(n: number, buf: Uint8Array): boolean {
    this.onData((buf as Buffer).subarray(0, n))
    return true
  }

  private onData(chunk: Buffer): void {
    const ex = this.ex
    if (ex === null) {
      // bytes nobody asked for: the framing is lost, so is the socket
      this.socket.destroy()
      return
    }
    this.gotBytes = true
    ex.lastDataAt = this.pool.now()
    // A whole response in this read, framed by Content-Length, is read without the parser
    // (simple-response.ts); anything else, or anything while the parser holds part of a message, goes to it.
    const simple = this.parserIdle && ex.req.method !== 'HEAD' ? parseSimpleResponse(chunk) : null
    if (simple !== null) {
      this.onHead(simple.status, simple.rawHeaders, simple.keepAlive)
      // decoded in onComplete, within this read: the body needs no copy out of the read buffer
      if (simple.bodyLength > 0) this.onBody(chunk, simple.bodyStart, simple.bodyLength, false)
      this.onComplete()
    } else {
      const r = this.parser.execute(chunk)
      if (r instanceof Error) {
        ex.fail(new HttpTransportError('HTTP_PARSE_ERROR', `the response could not be parsed: ${(r as NodeJS.ErrnoException).code ?? r.message}`))
        this.socket.destroy()
        return
      }
      const state = this.parser as unknown as { state: string; line: string }
      this.parserIdle = state.state === 'RESPONSE_LINE' && state.line === ''
    }
    // Released only now, not from onComplete: bytes after the response in this same read must not
    // be parsed as the answer to a request sent in the meantime.
    if (this.ended) {
      this.ended = false
      if (this.closeAfter || this.stray) this.socket.destroy()
      else this.pool.release(this)
    }
  }

  private onHead(status: number, raw: string[], keepAlive: boolean): number {
    const ex = this.ex
    if (ex === null) {
      this.stray = true
      return 1
    }
    if (status < 200) {
      this.informational = true
      return 1
    }
    const headers: HttpHeaders = {}
    for (let i = 0; i < raw.length; i += 2) {
      const name = lowerName(raw[i])
      const prev = headers[name]
      headers[name] = prev === undefined ? raw[i + 1] : Array.isArray(prev) ? [...prev, raw[i + 1]] : [prev, raw[i + 1]]
    }
    const hint = headers['keep-alive']
    if (typeof hint === 'string' && hint !== this.hint) {
      // servers repeat the same hint on every response: parse it once per socket
      this.hint = hint
      const m = KEEP_ALIVE_HINT.exec(hint)
      if (m) this.idleLimit = Math.min(this.pool.keepAliveTimeout, Math.max(Number(m[1]) * 1000 - 1000, Number(m[1]) * 500))
    }
    if (!keepAlive) this.closeAfter = true
    ex.status = status
    ex.headers = headers
    try {
      ex.keep = ex.req.wantBody(status, headers)
    } catch (e) {
      // the caller's predicate threw: the request fails with it, the body is read and dropped
      ex.fail(e)
      this.closeAfter = true
    }
    return status === 204 || status === 304 || ex.req.method === 'HEAD' ? 1 : 0
  }

  /** `copy`: the bytes may outlive this read, and the read buffer is reused by the next read of any socket */
  private onBody(chunk: Buffer, offset: number, length: number, copy: boolean): void {
    const ex = this.ex
    if (ex === null) this.stray = true
    else if (ex.keep) {
      const bytes = chunk.subarray(offset, offset + length)
      ;(ex.chunks ??= []).push(copy ? Buffer.from(bytes) : bytes)
    }
  }

  private onComplete(): void {
    if (this.informational) {
      this.informational = false
      return
    }
    const ex = this.ex
    if (ex === null) {
      this.stray = true
      return
    }
    this.ex = null
    this.served++
    this.ended = true
    ex.succeed({ status: ex.status, headers: ex.headers ?? {}, text: ex.keep ? decodeBody(ex.chunks) : null })
  }

  /** The server's FIN: completes a body read to EOF, fails anything else in flight. */
  private onEnd(): void {
    if (this.ex !== null && (this.parser as unknown as { state: string }).state === 'BODY_RAW' && !this.informational) {
      this.onComplete()
      this.ended = false
    }
    this.socket.destroy()
  }

  private onClose(err: Error): void {
    if (this.closed) return
    this.closed = true
    const ex = this.ex
    this.ex = null
    this.pool.forget(this)
    if (ex === null || ex.settled) return
    ex.conn = null
    // The keep-alive race: the server closed a reused socket as the request went out. Nothing of
    // the response came back, so the server did not answer it; one retry on a new socket.
    if (this.served > 0 && !this.gotBytes && !ex.retried) {
      ex.retried = true
      this.pool.requeue(ex)
      return
    }
    ex.fail(err)
  }
}

export class Http1Pool {
  readonly origin: string
  readonly host: string
  readonly port: number
  readonly keepAliveTimeout: number
  readonly lookup: LookupHook | undefined
  /** https: the trust (one SecureContext for every connection) and the CA file it came from */
  readonly tls: { secureContext: SecureContext; caFile: string | null } | null
  readonly servername: string | undefined
  /** the last TLS session ticket the server sent: offered on the next connection, which then resumes */
  tlsSession: Buffer | undefined
  private readonly hostHeader: string
  private readonly max: number
  private readonly all = new Set<Connection>()
  private readonly idle: Connection[] = []
  private queue: Exchange[] = []
  private closing = false
  private sweep: NodeJS.Timeout | null = null
  private sweepMs = 0
  private clock = 0
  private onDrained: (() => void) | null = null
  private drained: Promise<void> | null = null

  constructor(origin: string, opts: Http1PoolOptions) {
    const u = new URL(origin)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`Http1Pool speaks http and https only, not ${u.protocol}`)
    this.origin = u.origin
    this.host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
    const https = u.protocol === 'https:'
    this.port = Number(u.port || (https ? 443 : 80))
    this.hostHeader = u.host
    this.max = Math.max(1, opts.connections)
    this.keepAliveTimeout = opts.keepAliveTimeout ?? 4_000
    this.lookup = opts.lookup
    // SNI carries host names only (RFC 6066 §3); an IP literal is checked against the certificate's IP SANs
    this.servername = https && isIP(this.host) === 0 ? this.host : undefined
    if (https) {
      const { secureContext, caFile } = loadTls(opts.tls)
      this.tls = { secureContext, caFile }
    } else {
      this.tls = null
    }
  }

  /** A socket error as the request's rejection: the policy's refusal as is, TLS failures coded with a hint. */
  socketError(e: NodeJS.ErrnoException): Error {
    const unsafe = findUnsafe(e)
    if (unsafe !== null) return unsafe
    const kind = this.tls === null ? null : tlsFailureKind(e)
    if (kind !== null) return this.tlsError(kind, e.code ?? e.message)
    return new HttpTransportError(e.code ?? 'HTTP_SOCKET_ERROR', e.message)
  }

  private tlsError(kind: TlsFailureKind, detail: string): HttpTransportError {
    const { message, hint } = tlsFailureMessage(kind, this.origin, this.tls?.caFile ?? null, detail)
    return new HttpTransportError(TLS_ERROR_CODES[kind], message, hint)
  }

  request(req: Http1Request): Promise<Http1Response> {
    if (this.closing) return Promise.reject(new HttpTransportError('HTTP_POOL_CLOSED', 'the pool is closed'))
    const signal = req.signal
    if (signal?.aborted) return Promise.reject((signal.reason as Error | undefined) ?? abortError())
    let head: string
    try {
      head = this.head(req)
    } catch (e) {
      return Promise.reject(e)
    }
    const ex = new Exchange(this, head, req)
    const promise = new Promise<Http1Response>((resolve, reject) => {
      ex.resolve = resolve
      ex.reject = reject
    })
    signal?.addEventListener('abort', ex, { once: true })
    this.armSweep(Math.min(ex.headersTimeout, ex.bodyTimeout))
    this.dispatch(ex)
    return promise
  }

  /** Ends the pool: queued requests fail with HTTP_POOL_CLOSED, requests in flight finish first. */
  close(): Promise<void> {
    if (this.drained !== null) return this.drained
    this.closing = true
    const queued = this.queue
    this.queue = []
    for (const ex of queued) ex.fail(new HttpTransportError('HTTP_POOL_CLOSED', 'the pool closed before the request was sent'))
    for (const c of this.idle) c.destroy()
    this.idle.length = 0
    this.drained = new Promise((resolve) => {
      this.onDrained = resolve
    })
    if (this.all.size === 0) this.stopped()
    return this.drained
  }

  /** ms, for the timeout sweep; one clock read per request */
  now(): number {
    this.clock = Date.now()
    return this.clock
  }

  release(c: Connection): void {
    const next = this.queue.shift()
    if (next !== undefined) return c.send(next)
    if (this.closing) return c.destroy()
    c.idleSince = this.clock
    // an idle socket must not keep the process alive (undici's pools behave the same)
    c.socket.unref()
    c.parked = true
    this.idle.push(c)
  }

  forget(c: Connection): void {
    this.all.delete(c)
    const i = this.idle.indexOf(c)
    if (i !== -1) this.idle.splice(i, 1)
    // a slot is free: a waiting request may now open a socket
    if (this.queue.length > 0 && !this.closing) this.dispatch(this.queue.shift()!)
    else if (this.closing && this.all.size === 0) this.stopped()
  }

  requeue(ex: Exchange): void {
    if (this.closing) return ex.fail(new HttpTransportError('HTTP_POOL_CLOSED', 'the pool closed before the request was sent'))
    this.queue.unshift(ex)
    if (this.all.size < this.max) this.dispatch(this.queue.shift()!)
  }

  dequeue(ex: Exchange): void {
    const i = this.queue.indexOf(ex)
    if (i !== -1) this.queue.splice(i, 1)
  }

  private dispatch(ex: Exchange): void {
    if (ex.req.fresh === true) {
      const own = new Connection(this)
      own.closeAfter = true
      this.all.add(own)
      return own.send(ex)
    }
    const now = this.now()
    let c = this.idle.pop()
    while (c !== undefined && now - c.idleSince >= c.idleLimit) {
      c.destroy()
      c = this.idle.pop()
    }
    if (c === undefined && this.all.size < this.max) {
      c = new Connection(this)
      this.all.add(c)
    }
    if (c === undefined) this.queue.push(ex)
    else c.send(ex)
  }

  /** The request line and headers as one latin1 string; a name or value that would break framing is refused. */
  private head(req: Http1Request): string {
    const h = req.headers
    let head = `${req.method} ${req.path} HTTP/1.1\r\n`
    let host = false
    let length = false
    const trusted = req.trusted
    if (trusted !== undefined) for (let i = 0; i < trusted.length; i += 2) head += `${trusted[i]}: ${trusted[i + 1]}\r\n`
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]
      const value = h[i + 1]
      if (!checkedName(name)) throw new HttpTransportError('HTTP_INVALID_HEADER', `invalid header name ${JSON.stringify(name)}`)
      if (!checkedValue(value)) throw new HttpTransportError('HTTP_INVALID_HEADER', `invalid value for header ${name} (control characters)`)
      if (name.length === 4 && name.toLowerCase() === 'host') host = true
      else if (name.length === 14 && name.toLowerCase() === 'content-length') length = true
      head += `${name}: ${value}\r\n`
    }
    if (!TOKEN.test(req.method) || /[\s]/.test(req.path) || req.path[0] !== '/') throw new HttpTransportError('HTTP_INVALID_HEADER', `invalid request line ${JSON.stringify(`${req.method} ${req.path}`)}`)
    if (!host) head += `host: ${this.hostHeader}\r\n`
    if (!length && (req.body !== undefined || HAS_BODY_METHOD.has(req.method))) head += `content-length: ${req.body === undefined ? 0 : Buffer.byteLength(req.body)}\r\n`
    return `${head}\r\n`
  }

  /** One interval per pool, as fine as a quarter of the smallest timeout seen, never holding the process open. */
  private armSweep(timeoutMs: number): void {
    const every = Math.max(10, Math.min(1_000, Math.floor(timeoutMs / 4)))
    if (this.sweep !== null && every >= this.sweepMs) return
    if (this.sweep !== null) clearInterval(this.sweep)
    this.sweepMs = every
    this.sweep = setInterval(() => this.expire(), every)
    this.sweep.unref()
  }

  private expire(): void {
    const now = this.now()
    for (const c of this.all) {
      const ex = c.ex
      if (ex === null) {
        if (c.parked && now - c.idleSince >= c.idleLimit) c.destroy()
        continue
      }
      if (ex.headers === null && now - ex.sentAt >= ex.headersTimeout) {
        ex.fail(c.secured ? new HttpTransportError('HTTP_HEADERS_TIMEOUT', `no response head within ${ex.headersTimeout} ms`) : this.tlsError('timeout', `${ex.headersTimeout} ms`))
        c.destroy()
      } else if (ex.headers !== null && now - ex.lastDataAt >= ex.bodyTimeout) {
        ex.fail(new HttpTransportError('HTTP_BODY_TIMEOUT', `no body bytes for ${ex.bodyTimeout} ms`))
        c.destroy()
      }
    }
  }

  /** The last socket is gone after close(): stop the sweep, settle close(). */
  private stopped(): void {
    if (this.sweep !== null) clearInterval(this.sweep)
    this.sweep = null
    this.onDrained?.()
  }
}

/**
 * A response header name in lower case, from a bounded map: servers send the same few names on
 * every response, and a repeated name then costs a lookup on a short string instead of a new
 * lower-cased string that the headers object must then intern as a property key.
 */
function lowerName(raw: string): string {
  let name = LOWER_NAMES.get(raw)
  if (name === undefined) {
    name = raw.toLowerCase()
    if (LOWER_NAMES.size >= LOWER_NAMES_MAX) LOWER_NAMES.clear()
    LOWER_NAMES.set(raw, name)
  }
  return name
}

/** A request header name that is an RFC 9110 token; names repeat, so each one is tested once. */
function checkedName(name: string): boolean {
  if (TOKEN_NAMES.has(name)) return true
  if (!TOKEN.test(name)) return false
  if (TOKEN_NAMES.size >= LOWER_NAMES_MAX) TOKEN_NAMES.clear()
  TOKEN_NAMES.add(name)
  return true
}

/** A header value without CR, LF, NUL or other characters a header may not carry. */
function checkedValue(value: string): boolean {
  if (value.length < CHECKED_MIN_LENGTH) return !BAD_VALUE.test(value)
  if (checked.has(value)) return true
  if (BAD_VALUE.test(value)) return false
  if (checked.size >= CHECKED_MAX) checked.clear()
  checked.add(value)
  return true
}

function abortError(): Error {
  const e = new Error('the request was aborted')
  e.name = 'AbortError'
  return e
}

const BOM0 = 0xef
const BOM1 = 0xbb
const BOM2 = 0xbf

/** The body as undici's `text()` returns it: UTF-8, a leading BOM dropped, '' when empty. */
export function decodeBody(chunks: Buffer[] | null): string {
  if (chunks === null) return ''
  const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
  const start = buf.length > 2 && buf[0] === BOM0 && buf[1] === BOM1 && buf[2] === BOM2 ? 3 : 0
  return buf.toString('utf8', start)
}
