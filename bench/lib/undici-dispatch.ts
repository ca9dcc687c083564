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
import { decodeBody, type Http1Request, type Http1Response } from '../../harness/load/http1-pool.ts'

/** The pool's own request and response shapes, so the bench swaps one client for the other. */
export type DispatchRequestOptions = Http1Request
export type DispatchedResponse = Http1Response

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
    const text = this.keep ? decodeBody(this.chunks) : null
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
        // undici checks every header itself: the pool's trusted pairs join the rest, first, as on its wire
        headers: opts.trusted === undefined ? opts.headers : opts.trusted.concat(opts.headers),
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
