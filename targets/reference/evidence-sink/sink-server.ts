/** HTTP face of the evidence sink: ingest, cursor reads, chain heads, health. */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { BodyTooLarge, readBody, sendJson, singleHeader } from '../shared/http-io.ts'
import { MAX_PAGE, type SinkStore } from './sink-store.ts'

const MAX_INGEST_BYTES = 32 * 1024 * 1024

/** Whether the request carries the writers' bearer secret whose SHA-256 is `hash`. */
function writerAuthenticated(req: IncomingMessage, hash: string): boolean {
  const authz = singleHeader(req, 'authorization')
  const bearer = typeof authz === 'string' ? /^Bearer +(\S+)$/i.exec(authz) : null
  if (bearer === null) return false
  const expected = Buffer.from(hash, 'base64url')
  const presented = createHash('sha256').update(bearer[1]).digest()
  return expected.length === presented.length && timingSafeEqual(presented, expected)
}

/**
 * `ingestTokenHash`: SHA-256 of the writers' secret; `POST /ingest` without it is refused before the
 * body is read (the records are readable by anyone on loopback, never writable). null is flaw
 * `evidence-sink-unauthenticated` only: anyone may append.
 */
export function sinkHandler(store: SinkStore, log: (line: string) => void, ingestTokenHash: string | null) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://sink.invalid')
    const route = `${req.method} ${url.pathname}`
    if (route === 'POST /ingest') {
      if (ingestTokenHash !== null && !writerAuthenticated(req, ingestTokenHash)) {
        req.resume()
        log('sink: refused an ingest without the writers\' secret')
        sendJson(res, 401, { error: 'invalid_token', error_description: 'only the target\'s evidence writers may append' }, { 'www-authenticate': 'Bearer error="invalid_token"' })
        return
      }
      void ingest(store, req, res, log)
    } else if (route === 'GET /records') {
      const limitRaw = url.searchParams.get('limit') ?? '1000'
      const limit = /^\d{1,6}$/.test(limitRaw) ? Number(limitRaw) : NaN
      if (!(limit >= 1 && limit <= MAX_PAGE)) {
        sendJson(res, 400, { error: 'invalid_request', error_description: `limit must be an integer from 1 to ${MAX_PAGE}` })
        return
      }
      const page = store.page(url.searchParams.get('after'), limit)
      if (page === null) {
        sendJson(res, 400, { error: 'invalid_request', error_description: 'unknown cursor' })
        return
      }
      sendJson(res, 200, page)
    } else if (route === 'GET /heads') {
      sendJson(res, 200, { heads: store.heads() })
    } else if (route === 'GET /health') {
      sendJson(res, 200, { status: 'ok', records: store.size })
    } else {
      sendJson(res, 404, { error: 'not_found' })
    }
  }
}

async function ingest(store: SinkStore, req: IncomingMessage, res: ServerResponse, log: (line: string) => void): Promise<void> {
  let batch: unknown
  try {
    batch = JSON.parse((await readBody(req, MAX_INGEST_BYTES)).toString('utf8'))
  } catch (e) {
    const tooLarge = e instanceof BodyTooLarge
    sendJson(res, tooLarge ? 413 : 400, { error: 'invalid_request', error_description: tooLarge ? 'batch too large' : 'body is not JSON' })
    return
  }
  const { result, written } = store.ingest(batch)
  if (!result.ok) {
    sendJson(res, result.status, { error: result.error, error_description: result.description })
    return
  }
  try {
    await written
    sendJson(res, 200, { accepted: result.accepted })
  } catch (e) {
    // Memory already holds the batch; a writer that retries gets 409 and resyncs from /heads.
    log(`sink: append to log file failed: ${String(e)}`)
    sendJson(res, 500, { error: 'server_error', error_description: 'could not persist the batch' })
  }
}
