/**
 * A replica's internal listener (docs/architecture.md "Reference target"): the endpoints only the
 * deployment's own parts call, on a loopback port of the replica's own that no front forwards to.
 *  - `GET /admin/refunds?trace_id=`: the refund ledger's count, the harness's side-effect probe
 *    (admin-client.ts);
 *  - `POST /internal/lifecycle`: the AS's lifecycle pushes (lifecycle-state.ts checks the shared secret).
 * The public listener (rs-server.ts) does not route these paths: behind the L4 front every caller's
 * address is loopback, so the loopback checks kept here guard nothing there. They stay here as a
 * second line (a listener bound elsewhere by mistake), as does the lifecycle push's shared secret.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { InternalPath } from '../../../harness/contracts/target.ts'
import { isLoopback, sendJson } from '../shared/http-io.ts'
import { LIFECYCLE_PATH } from '../shared/lifecycle-events.ts'
import type { RefundLedger } from './tool-handlers.ts'

export const ADMIN_REFUNDS_PATH = '/admin/refunds'

/** The paths the internal listener serves (and the public one must not), with what each is. */
export const INTERNAL_PATHS = [
  { name: 'refund ledger read', method: 'GET', path: ADMIN_REFUNDS_PATH, role: 'admin' },
  { name: 'lifecycle push', method: 'POST', path: LIFECYCLE_PATH, role: 'peer' },
] as const

/**
 * The declaration the adapter hands the harness (ResourceServerInfo.internalPaths). The lifecycle
 * push carries an empty event list: were it ever served, it would change nothing.
 */
export function referenceInternalPaths(): InternalPath[] {
  return INTERNAL_PATHS.map((p) => ({ ...p, ...(p.method === 'POST' ? { body: { events: [] } } : {}) }))
}

export interface InternalDeps {
  ledger: RefundLedger
  /** takes the AS's lifecycle pushes (lifecycle-state.ts); absent: the path is not routed */
  lifecycle?: { handle(req: IncomingMessage, res: ServerResponse): void }
}

export function isInternalPath(pathname: string): boolean {
  return INTERNAL_PATHS.some((p) => p.path === pathname)
}

export function internalHandler(deps: InternalDeps): RequestListener {
  return (req, res) => {
    const raw = req.url ?? '/'
    const q = raw.indexOf('?')
    const pathname = q === -1 ? raw : raw.slice(0, q)
    const method = req.method ?? 'GET'
    if (pathname === LIFECYCLE_PATH && deps.lifecycle !== undefined) return deps.lifecycle.handle(req, res)
    if (method === 'GET' && pathname === ADMIN_REFUNDS_PATH) {
      req.resume()
      if (!isLoopback(req)) return sendJson(res, 403, { error: 'forbidden' })
      const traceId = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)).get('trace_id')
      return sendJson(res, 200, { count: deps.ledger.count(traceId) })
    }
    if (method === 'GET' && pathname === '/health') return sendJson(res, 200, { status: 'ok' })
    req.resume()
    return sendJson(res, 404, { error: 'not_found', error_description: 'no such internal endpoint' })
  }
}
