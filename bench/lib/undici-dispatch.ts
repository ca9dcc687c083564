/**
 * The previous hot-path client, kept only as the bench's comparison (`gatecrash-undici` in
 * bench/children/client.ts): until harness/load/http1-pool.ts replaced it, every attempt went out
 * through this, undici's low-level `Dispatcher.dispatch(opts, handler)` on a `Pool` (the controller
 * API of undici 7+: onRequestStart / onResponseStart / onResponseData / onResponseEnd /
 * onResponseError). Nothing in the harness uses it. The code is the harness's former
 * harness/load/dispatch-request.ts, unchanged but for this header and an import path.
 *
 * It was chosen over `Dispatcher.request()`, which costs noticeably more per request (an
 * AsyncResource handler, a Readable body stream per response and a promise chain to read it back):
 * one plain handler object collects the status, the parsed headers undici hands over anyway, and
 * the body chunks, and settles one promise.
 *
 * Behaviour kept from `request()` + `body.text()`:
 * - an informational (1xx) response is skipped, the final response is the one reported;
 * - the body is decoded as UTF-8 with a leading BOM dropped (undici's `text()`), and only when the
 *   caller asks for it (`wantBody`, decided from the status and headers);
 * - an abort rejects with `signal.reason` (else undici's RequestAbortedError, name 'AbortError') at
 *   once, whether the request is queued, in flight or reading its body; a started request is torn
 *   down through its controller (undici destroys the socket, as `request()` does), a queued one is
 *   aborted by its handler as soon as the pool starts it, before anything is written;
 * - transport errors reject with undici's own error objects (`code` ECONNREFUSED,
 *   UND_ERR_HEADERS_TIMEOUT, …).
 */
import type { Dispatcher } from 'undici'
import { errors } from 'undici'
import type { HttpHeaders } from '../../harness/protocol/http.ts'

export interface DispatchedResponse {
  status: number
  /** all response headers, parsed by undici (lower-cased names, repeated ones as arrays) */
  headers: HttpHeaders
  /** the body as text when `wantBody` said so, else null (the body was read and dropped) */
  text: string | null
}

export interface DispatchRequestOptions {
  method: string
  path: string
  /** flat name/value list, sent in this order; a name may repeat */
  headers: string[]
  body?: string
  signal?: AbortSignal
  headersTimeout?: number
  bodyTimeout?: number
  /** whether the body is needed as text, given the final status and headers */
  wantBody: (status: number, headers: HttpHeaders) => boolean
}

const BOM0 = 0xef
const BOM1 = 0xbb
const BOM2 = 0xbf

class Handler implements Dispatcher.DispatchHandler {
  status = 0
  headers: HttpHeaders | null = null
  keep = false
  chunks: Buffer[] | null = null
  controller: Dispatcher.DispatchController | null = null
  /** set once the promise is settled (response, error or abort) */
  settled = false
  /** the abort reason, if the signal fired */
  reason: Error | null = null
  signal: AbortSignal | undefined
  wantBody: DispatchRequestOptions['wantBody']
  resolve!: (r: DispatchedResponse) => void
  reject!: (e: unknown) => void

  constructor(opts: DispatchRequestOptions) {
    this.signal = opts.signal
    this.wantBody = opts.wantBody
  }

  /** the abort listener: reject now, stop the request wherever it is */
  handleEvent(): void {
    if (this.settled) return
    const reason = (this.signal?.reason as Error | undefined) ?? new errors.RequestAbortedError()
    this.reason = reason
    this.finish()
    this.reject(reason)
    // Not started yet: onRequestStart aborts it before anything is written.
    this.controller?.abort(reason)
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.reason !== null) {
      controller.abort(this.reason)
      return
    }
    this.controller = controller
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: HttpHeaders): void {
    if (statusCode < 200) return // 1xx: wait for the final response, as request() does
    this.status = statusCode
    this.headers = headers
    this.keep = this.wantBody(statusCode, headers)
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.keep) (this.chunks ??= []).push(chunk)
  }

  onResponseEnd(): void {
    if (this.settled) return
    const text = this.keep ? decode(this.chunks) : null
    this.finish()
    this.resolve({ status: this.status, headers: this.headers ?? {}, text })
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    if (this.settled) return
    this.finish()
    this.reject(err)
  }

  private finish(): void {
    this.settled = true
    this.chunks = null
    this.signal?.removeEventListener('abort', this)
  }
}

/** The body as undici's `text()` returns it: UTF-8, a leading BOM dropped, '' when empty. */
function decode(chunks: Buffer[] | null): string {
  if (chunks === null) return ''
  const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
  const start = buf.length > 2 && buf[0] === BOM0 && buf[1] === BOM1 && buf[2] === BOM2 ? 3 : 0
  return buf.toString('utf8', start)
}

export function dispatchRequest(dispatcher: Dispatcher, opts: DispatchRequestOptions): Promise<DispatchedResponse> {
  const handler = new Handler(opts)
  const signal = opts.signal
  if (signal?.aborted) return Promise.reject((signal.reason as Error | undefined) ?? new errors.RequestAbortedError())
  const promise = new Promise<DispatchedResponse>((resolve, reject) => {
    handler.resolve = resolve
    handler.reject = reject
  })
  signal?.addEventListener('abort', handler, { once: true })
  try {
    dispatcher.dispatch(
      {
        method: opts.method,
        path: opts.path,
        headers: opts.headers,
        body: opts.body,
        headersTimeout: opts.headersTimeout,
        bodyTimeout: opts.bodyTimeout,
      },
      handler,
    )
  } catch (e) {
    // invalid options (a header value with CR/LF, a bad path…): request() rejects with these too
    handler.onResponseError(null, e as Error)
  }
  return promise
}
