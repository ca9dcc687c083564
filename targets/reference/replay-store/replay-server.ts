/**
 * HTTP face of the shared replay store. `POST /check-and-set` with `{"key": string, "ttl_ms": n}`
 * answers `{"seen": false}` to the first caller of a live key and `{"seen": true, "first_seen": ms}`
 * to every later one; the check and the set happen in one synchronous step, so two replicas racing
 * with the same proof cannot both see `false`. A full store answers 503 (`store_full`): it cannot
 * forget live keys without letting replays through, so the resource servers fail closed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { BodyTooLarge, readBody, sendJson } from '../shared/http-io.ts'
import { ReplayStoreUnavailable, type MemoryReplayStore } from '../shared/replay-store.ts'

export const CHECK_AND_SET_PATH = '/check-and-set'
const MAX_BODY = 4 * 1024
const MAX_KEY = 2 * 1024
const MAX_TTL_MS = 24 * 3600 * 1000

export function replayStoreHandler(store: MemoryReplayStore) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const route = `${req.method} ${req.url}`
    if (route === `POST ${CHECK_AND_SET_PATH}`) {
      void checkAndSet(store, req, res)
    } else if (route === 'GET /health') {
      sendJson(res, 200, { status: 'ok', entries: store.size })
    } else {
      req.resume()
      sendJson(res, 404, { error: 'not_found' })
    }
  }
}

async function checkAndSet(store: MemoryReplayStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: { key?: unknown; ttl_ms?: unknown }
  try {
    body = JSON.parse((await readBody(req, MAX_BODY)).toString('utf8')) as typeof body
  } catch (e) {
    sendJson(res, e instanceof BodyTooLarge ? 413 : 400, { error: 'invalid_request', error_description: 'body must be JSON {key, ttl_ms}' })
    return
  }
  const { key, ttl_ms: ttl } = body ?? {}
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY || typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_MS) {
    sendJson(res, 400, { error: 'invalid_request', error_description: `key must be a string of 1-${MAX_KEY} characters and ttl_ms an integer from 1 to ${MAX_TTL_MS}` })
    return
  }
  try {
    const seen = store.seen(key, ttl)
    sendJson(res, 200, seen ? { seen, first_seen: store.firstSeen(key) } : { seen })
  } catch (e) {
    if (!(e instanceof ReplayStoreUnavailable)) throw e
    sendJson(res, 503, { error: 'store_full', error_description: e.message })
  }
}
