/**
 * Public HTTP face of a resource server (the listener its front forwards to): protected-resource
 * metadata (RFC 9728), health, and the tools. Every other request, the internal endpoints' paths
 * included (internal-server.ts serves those on a listener of its own), is authenticated like a tool
 * call and then refused 404 as not routed, with a record naming who asked: an agent probing for
 * management functions is exactly what a reviewer needs to see. Every such request gets exactly
 * one evidence record, buffered before any side effect happens or any response is sent.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { ToolSpec } from '../../../harness/contracts/target.ts'
import type { EvidenceWriter } from '../evidence-writer/evidence-writer.ts'
import { BodyTooLarge, readBody, requestIdOf, sendJson, singleHeader, traceIdOf } from '../shared/http-io.ts'
import type { Outcome, RequestAuthorizer } from './authorize-request.ts'
import { isInternalPath } from './internal-server.ts'
import { rsRecord, type CallFacts, type RecordMaker } from './rs-evidence.ts'
import { readArticle, readCustomer, readTicket, type RefundLedger } from './tool-handlers.ts'
import { toolRouter, toolScopes, TOOLS } from './tools.ts'

const MAX_TOOL_BODY = 16 * 1024

export interface RsDeps {
  audience: string
  issuer: string
  authorizer: RequestAuthorizer
  writer: EvidenceWriter
  ledger: RefundLedger
  /** this resource server's tools (default: rs-1's) */
  tools?: readonly ToolSpec[]
  /** builds the evidence record (default: the faithful one) */
  record?: RecordMaker
  /**
   * flaw `internal-endpoints-public` only: the internal listener's handler, which this listener then
   * routes the internal paths to again, as before they had a listener of their own
   */
  exposedInternal?: RequestListener
}

function failClosed(res: ServerResponse): void {
  sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'evidence cannot be recorded', reason: 'system.evidence_unavailable' })
}

export function rsHandler(deps: RsDeps): RequestListener {
  const tools = deps.tools ?? TOOLS
  const matchTool = toolRouter(tools)
  const metadata = {
    resource: deps.audience,
    authorization_servers: [deps.issuer],
    scopes_supported: toolScopes(tools),
    bearer_methods_supported: ['header'],
    dpop_signing_alg_values_supported: ['ES256'],
    dpop_bound_access_tokens_required: true,
  }
  return (req, res) => {
    const raw = req.url ?? '/'
    const q = raw.indexOf('?')
    const pathname = q === -1 ? raw : raw.slice(0, q)
    const method = req.method ?? 'GET'
    if (method === 'GET' && pathname === '/.well-known/oauth-protected-resource') return sendJson(res, 200, metadata)
    if (method === 'GET' && pathname === '/health') return sendJson(res, 200, { status: 'ok' })
    if (deps.exposedInternal !== undefined && isInternalPath(pathname)) return deps.exposedInternal(req, res)
    // null: not a tool; refused as not routed once the caller is known (handleCall)
    const route = matchTool(method, pathname)
    if (deps.writer.full) {
      req.resume()
      deps.writer.noteRefused(traceIdOf(req))
      return failClosed(res)
    }
    const facts: CallFacts = { audience: deps.audience, method, pathname, route, traceId: traceIdOf(req), requestId: requestIdOf(req), authorization: req.headers.authorization ?? null }
    handleCall(deps, req, res, facts).catch((e: unknown) => {
      process.stderr.write(`rs: tool call failed: ${e instanceof Error ? e.stack : String(e)}\n`)
      const outcome: Outcome = { decision: 'deny', status: 500, reason: 'system.internal_error', error: 'server_error', description: 'internal error', claims: null, tokenHash: null, proofJkt: null }
      if (!res.headersSent) respond(deps, res, outcome, facts)
    })
  }
}

async function handleCall(deps: RsDeps, req: IncomingMessage, res: ServerResponse, facts: CallFacts): Promise<void> {
  const base = {
    method: facts.method,
    authorization: req.headersDistinct.authorization ?? [],
    dpop: singleHeader(req, 'dpop'),
    host: req.headers.host ?? null,
    forwardedHost: typeof req.headers['x-forwarded-host'] === 'string' ? req.headers['x-forwarded-host'] : null,
    nowMs: Date.now(),
  }
  if (facts.route === null) {
    req.resume()
    return respond(deps, res, await deps.authorizer.refuseUnrouted({ ...base, pathname: facts.pathname }), facts)
  }
  let body: Buffer = Buffer.alloc(0)
  if (facts.method === 'POST') {
    try {
      body = await readBody(req, MAX_TOOL_BODY)
    } catch (e) {
      if (!(e instanceof BodyTooLarge)) throw e
      const outcome: Outcome = { decision: 'deny', status: 413, reason: 'policy.body_too_large', error: 'invalid_request', description: `body over ${MAX_TOOL_BODY} bytes`, claims: null, tokenHash: null, proofJkt: null }
      return respond(deps, res, outcome, facts)
    }
  } else {
    req.resume()
  }
  const outcome = await deps.authorizer.authorize({ ...base, pathname: facts.pathname, route: facts.route, body })
  respond(deps, res, outcome, facts)
}

function respond(deps: RsDeps, res: ServerResponse, o: Outcome, facts: CallFacts): void {
  // No record, no action: if evidence cannot take the record, neither the tool nor the refusal happens.
  if (!deps.writer.append((deps.record ?? rsRecord)(o, facts))) return failClosed(res)
  const headers: Record<string, string | string[]> = { ...o.headers, ...(o.challenge !== undefined ? { 'www-authenticate': o.challenge } : {}) }
  if (o.decision === 'deny') {
    const body = o.error !== undefined ? { error: o.error, error_description: o.description } : { error_description: o.description }
    return sendJson(res, o.status, body, headers)
  }
  const { route } = facts
  // an unrouted request is never allowed (authorize-request.ts refuseUnrouted); this keeps it so
  if (route === null) return sendJson(res, 404, { error: 'not_found', error_description: 'not found' })
  switch (route.tool.name) {
    case 'ticket.read': return sendJson(res, 200, readTicket(route))
    case 'customer.read': return sendJson(res, 200, readCustomer(route))
    case 'refund.issue': return sendJson(res, 200, deps.ledger.issue(o.refund!, route.tenant, facts.traceId))
    case 'kb.read': return sendJson(res, 200, readArticle(route))
    default: return sendJson(res, 500, { error: 'server_error', error_description: `no handler for ${route.tool.name}` })
  }
}
