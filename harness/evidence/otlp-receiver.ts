/**
 * The OTLP/HTTP logs receiver gatecrash runs on loopback for the run (docs/evidence-sources/otlp-logs.md):
 * `POST /v1/logs`, OTLP/JSON or protobuf, either possibly gzip, answered as the OTLP/HTTP spec says so
 * a real SDK or Collector retries what it should and drops nothing it need not.
 *
 * Every request must carry the run's secret (`x-gatecrash-secret`, compared in constant time):
 * without it any local process could post deny records that match the run's attacks and turn a NOT
 * READY into READY. A request without it gets 401 before its body is read, and is only counted.
 *
 * What it answers 200 to is in the log (otlp-log.ts) before the answer is sent: an acknowledged
 * record is never lost. A 400 (malformed) becomes an unmapped problem on the next page; a sender does
 * not retry it, so its records are the deployment's loss, which the run must see.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'
import protobuf from 'protobufjs'
import { EvidenceUnavailable } from '../contracts/errors.ts'
import { decodeJson, decodeProtobuf, OtlpMalformed, type DecodedLogRecord } from './otlp-decode.ts'
import type { OtlpLog } from './otlp-log.ts'

export const SECRET_HEADER = 'x-gatecrash-secret'
export const LOGS_PATH = '/v1/logs'
/** the largest request body, on the wire and after inflating (a gzip bomb stops inflating here) */
export const MAX_BODY_BYTES = 16 * 1024 * 1024

export interface OtlpReceiverOptions {
  /** loopback port; 0 or absent: a free one, kept for the receiver's life (a restart listens on it again) */
  port?: number
  secret: string
  log: OtlpLog
  maxBodyBytes?: number
}

/** What the receiver answered, by kind: the run can report them. */
export interface OtlpReceiverStats {
  /** export requests answered 200 */
  exports: number
  /** log records in them (an exact repeat of one already stored included) */
  records: number
  /** 401: no secret or the wrong one; nothing stored */
  unauthorized: number
  /** 400: not OTLP (bad JSON, bad protobuf, bad gzip) */
  malformed: number
  /** 413: a body over the bound */
  tooLarge: number
  /** 415: another content type or encoding */
  unsupported: number
  /** 503 while refusing (refuseFor, a test hook) */
  refused: number
}

type Encoding = 'json' | 'protobuf'

const gunzipAsync = promisify(gunzip)

/** google.rpc.Status, the body of every OTLP/HTTP error answer, built with protobufjs's reflection */
const STATUS = (() => {
  const type = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'))
  new protobuf.Root().define('google.rpc').add(type)
  return type
})()

/** gRPC codes OTLP/HTTP's Status carries */
const GRPC = { invalidArgument: 3, resourceExhausted: 8, unavailable: 14, unauthenticated: 16, unimplemented: 12, notFound: 5, internal: 13 } as const

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

export class OtlpReceiver {
  readonly stats: OtlpReceiverStats = { exports: 0, records: 0, unauthorized: 0, malformed: 0, tooLarge: 0, unsupported: 0, refused: 0 }
  readonly #secret: Buffer
  readonly #log: OtlpLog
  readonly #maxBody: number
  #port: number
  #server: Server | null = null
  #starting: Promise<number> | null = null
  #refuseUntil = 0

  constructor(options: OtlpReceiverOptions) {
    this.#secret = digest(options.secret)
    this.#log = options.log
    this.#port = options.port ?? 0
    this.#maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES
  }

  get port(): number {
    return this.#port
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}${LOGS_PATH}`
  }

  /** Listens on 127.0.0.1 (idempotent); the port it listens on. */
  start(): Promise<number> {
    this.#starting ??= new Promise<number>((resolve, reject) => {
      const server = createServer((req, res) => {
        this.#handle(req, res).catch(() => {
          // a fault of the receiver's own: 500 is not retried, so the run is told the records are lost
          this.#log.unusable('the OTLP receiver failed on a request (answered 500): its log records are lost')
          if (!res.headersSent) this.#fail(req, res, 500, 'json', GRPC.internal, 'the receiver failed on this request')
          else res.destroy()
        })
      })
      server.requestTimeout = 30_000
      server.once('error', (e: NodeJS.ErrnoException) => {
        this.#starting = null
        reject(new EvidenceUnavailable(`OTLP receiver cannot listen on 127.0.0.1:${this.#port}: ${e.code ?? e.message}`, {
          cause: e,
          hint: e.code === 'EADDRINUSE' ? 'another process holds the port: give the evidence source another `port`, or none for a free one' : 'the OTLP receiver listens on loopback only',
        }))
      })
      server.listen(this.#port, '127.0.0.1', () => {
        this.#server = server
        this.#port = (server.address() as AddressInfo).port
        resolve(this.#port)
      })
    })
    return this.#starting
  }

  /** Stops listening and drops every connection (safe twice); start() listens on the same port again. */
  async stop(): Promise<void> {
    const starting = this.#starting
    this.#starting = null
    if (!starting) return
    await starting.catch(() => {})
    const server = this.#server
    this.#server = null
    if (!server) return
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    await closed
  }

  /**
   * Test hook: answers 503 with `Retry-After: 1` to every authenticated export for `ms`, as a
   * receiver that is briefly overloaded does; the sender retries, and nothing is stored meanwhile.
   */
  refuseFor(ms: number): void {
    this.#refuseUntil = Date.now() + ms
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const encoding: Encoding = mediaType(req) === 'application/x-protobuf' ? 'protobuf' : 'json'
    const path = (req.url ?? '').split('?')[0]
    if (path !== LOGS_PATH) return this.#fail(req, res, 404, encoding, GRPC.notFound, `no such path: this receiver takes OTLP logs at POST ${LOGS_PATH}`)
    if (req.method !== 'POST') return this.#fail(req, res, 405, encoding, GRPC.unimplemented, `${LOGS_PATH} takes POST`, { Allow: 'POST' })
    if (!this.#authorized(req)) {
      this.stats.unauthorized++
      this.#log.warnOnce('unauthorized', `OTLP exports without the run's ${SECRET_HEADER} were refused (401) and not stored`)
      return this.#fail(req, res, 401, encoding, GRPC.unauthenticated, `an export must carry the run's ${SECRET_HEADER} header`)
    }
    if (Date.now() < this.#refuseUntil) {
      this.stats.refused++
      return this.#fail(req, res, 503, encoding, GRPC.unavailable, 'the receiver is briefly refusing exports: retry', { 'Retry-After': '1' })
    }
    const type = mediaType(req)
    if (type !== 'application/json' && type !== 'application/x-protobuf') {
      this.stats.unsupported++
      return this.#fail(req, res, 415, encoding, GRPC.invalidArgument, 'allowed Content-Type: application/json or application/x-protobuf')
    }
    const contentEncoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
    if (contentEncoding !== 'gzip' && contentEncoding !== 'identity') {
      this.stats.unsupported++
      return this.#fail(req, res, 415, encoding, GRPC.invalidArgument, 'allowed Content-Encoding: gzip or none')
    }

    const body = await this.#read(req)
    if (body === 'aborted') return
    if (body === 'too-large') return this.#tooLarge(req, res, encoding)
    let records: DecodedLogRecord[]
    try {
      const plain = contentEncoding === 'gzip' ? await this.#inflate(body) : body
      records = encoding === 'protobuf' ? decodeProtobuf(plain) : decodeJson(plain)
    } catch (e) {
      if (e === TOO_LARGE) return this.#tooLarge(req, res, encoding)
      if (!(e instanceof OtlpMalformed)) throw e
      this.stats.malformed++
      this.#log.unusable(`malformed OTLP request (answered 400, not retried by the sender: its log records are lost): ${e.message}`)
      return this.#fail(req, res, 400, encoding, GRPC.invalidArgument, `malformed OTLP request: ${e.message}`)
    }
    // in the log before the answer: what the sender is told it delivered, the run has
    this.#log.append(records)
    this.stats.exports++
    this.stats.records += records.length
    const ok = encoding === 'protobuf' ? new Uint8Array(0) : Buffer.from('{}')
    res.writeHead(200, { 'Content-Type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json', 'Content-Length': ok.length })
    res.end(ok)
  }

  #authorized(req: IncomingMessage): boolean {
    const given = req.headers[SECRET_HEADER]
    // hashes of equal length, so the comparison's time says nothing about the secret's length or prefix
    return typeof given === 'string' && timingSafeEqual(digest(given), this.#secret)
  }

  /** The body, or why there is none: more than the bound (stop reading), or the sender went away. */
  #read(req: IncomingMessage): Promise<Buffer | 'too-large' | 'aborted'> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = []
      let size = 0
      req.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > this.#maxBody) {
          req.removeAllListeners('data')
          req.pause()
          resolve('too-large')
          return
        }
        chunks.push(chunk)
      })
      req.on('end', () => resolve(Buffer.concat(chunks)))
      req.on('error', () => resolve('aborted'))
      req.on('close', () => resolve('aborted'))
    })
  }

  async #inflate(body: Buffer): Promise<Buffer> {
    try {
      return await gunzipAsync(body, { maxOutputLength: this.#maxBody })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw TOO_LARGE
      throw new OtlpMalformed(`not valid gzip (${(e as NodeJS.ErrnoException).code ?? 'inflate failed'})`)
    }
  }

  #tooLarge(req: IncomingMessage, res: ServerResponse, encoding: Encoding): void {
    this.stats.tooLarge++
    this.#log.unusable(`OTLP request over ${this.#maxBody} bytes (answered 413): its log records are lost`)
    this.#fail(req, res, 413, encoding, GRPC.resourceExhausted, `the body is over ${this.#maxBody} bytes (after inflating): send smaller batches`)
  }

  /** An error answer: a Status in the request's encoding; the connection closes when the body was not read. */
  #fail(req: IncomingMessage, res: ServerResponse, status: number, encoding: Encoding, code: number, message: string, headers: Record<string, string> = {}): void {
    const body = encoding === 'protobuf' ? STATUS.encode(STATUS.create({ code, message })).finish() : Buffer.from(JSON.stringify({ code, message }))
    if (!req.complete) {
      // let the sender finish writing, so it reads this answer rather than a reset connection
      headers.Connection = 'close'
      req.resume()
    }
    res.writeHead(status, { ...headers, 'Content-Type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json', 'Content-Length': body.length })
    res.end(body)
  }
}

const TOO_LARGE = Symbol('too large')

function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
}
