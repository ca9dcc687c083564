/**
 * The fault proxy's HTTP API: the part of Toxiproxy's API (Shopify/toxiproxy README "HTTP API",
 * api.go) that latency, bandwidth, slow_close, timeout and reset_peer need, with the same paths,
 * JSON shapes and status codes, so a Toxiproxy client drives it and gatecrash's driver drives a
 * real Toxiproxy:
 *
 *   GET    /version                          200 {"version": "…"}
 *   GET    /proxies                          200 {"<name>": proxy, …}
 *   POST   /proxies                          201 proxy | 400 | 409 exists | 500 listen failed
 *   GET    /proxies/{proxy}                  200 proxy | 404
 *   POST   /proxies/{proxy}  (or PATCH)      200 proxy (listen / upstream / enabled)
 *   DELETE /proxies/{proxy}                  204
 *   GET    /proxies/{proxy}/toxics           200 [toxic, …]
 *   POST   /proxies/{proxy}/toxics           200 toxic | 400 | 404 | 409 exists
 *   GET    /proxies/{proxy}/toxics/{toxic}   200 toxic | 404
 *   POST   /proxies/{proxy}/toxics/{toxic}   200 toxic (or PATCH; attributes / toxicity)
 *   DELETE /proxies/{proxy}/toxics/{toxic}   204
 *   POST   /reset                            204 (all proxies enabled, all toxics removed)
 *
 * Errors are `{"error": "<message>", "status": <code>}`. Like Toxiproxy, requests whose
 * User-Agent starts with `Mozilla/` get 403, so a web page cannot drive the API from a browser.
 * Not served: /populate, /metrics and the toxics outside the subset (they answer 400
 * "invalid toxic type").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import pkg from '../../../package.json' with { type: 'json' }
import type { ProxyCollection } from './collection.ts'
import { ApiError, badBody } from './toxics.ts'

export const FAULT_PROXY_VERSION = `${pkg.version}-gatecrash-fault-proxy`

const MAX_BODY = 64 * 1024

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void>

function send(res: ServerResponse, status: number, value?: unknown, contentType = 'application/json'): void {
  if (value === undefined) {
    res.writeHead(status)
    res.end()
    return
  }
  const body = `${JSON.stringify(value)}\n`
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function sendError(res: ServerResponse, e: ApiError): void {
  send(res, e.status, { error: e.message, status: e.status })
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) throw badBody(`larger than ${MAX_BODY} bytes`)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') throw badBody('EOF')
  try {
    return JSON.parse(text)
  } catch (e) {
    throw badBody(e instanceof Error ? e.message : String(e))
  }
}

/** for POST /reset and DELETE: the body, if any, is read and ignored */
async function drain(req: IncomingMessage): Promise<void> {
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) if ((size += chunk.length) > MAX_BODY) throw badBody('too large')
}

function routes(proxies: ProxyCollection): Array<[method: string, pattern: RegExp, handler: Handler]> {
  return [
    ['GET', /^\/version$/, async (_q, res) => send(res, 200, { version: FAULT_PROXY_VERSION }, 'application/json;charset=utf-8')],
    ['POST', /^\/reset$/, async (req, res) => {
      await drain(req)
      await proxies.reset()
      send(res, 204)
    }],
    ['GET', /^\/proxies$/, async (_q, res) => send(res, 200, Object.fromEntries(proxies.list().map((p) => [p.name, p.toJSON()])))],
    ['POST', /^\/proxies$/, async (req, res) => send(res, 201, (await proxies.create(await readJson(req))).toJSON())],
    ['GET', /^\/proxies\/([^/]+)$/, async (_q, res, [p]) => send(res, 200, proxies.get(p).toJSON())],
    ['POST|PATCH', /^\/proxies\/([^/]+)$/, async (req, res, [p]) => {
      proxies.get(p) // 404 before reading the body, as Toxiproxy does
      send(res, 200, (await proxies.update(p, await readJson(req))).toJSON())
    }],
    ['DELETE', /^\/proxies\/([^/]+)$/, async (req, res, [p]) => {
      await drain(req)
      proxies.remove(p)
      send(res, 204)
    }],
    ['GET', /^\/proxies\/([^/]+)\/toxics$/, async (_q, res, [p]) => send(res, 200, proxies.get(p).toxics())],
    ['POST', /^\/proxies\/([^/]+)\/toxics$/, async (req, res, [p]) => {
      const proxy = proxies.get(p)
      send(res, 200, proxy.addToxic(await readJson(req)))
    }],
    ['GET', /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/, async (_q, res, [p, t]) => send(res, 200, proxies.get(p).toxic(t))],
    ['POST|PATCH', /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/, async (req, res, [p, t]) => {
      const proxy = proxies.get(p)
      proxy.toxic(t)
      send(res, 200, proxy.updateToxic(t, await readJson(req)))
    }],
    ['DELETE', /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/, async (req, res, [p, t]) => {
      await drain(req)
      proxies.get(p).removeToxic(t)
      send(res, 204)
    }],
  ]
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new ApiError(`malformed path segment ${segment}`, 400)
  }
}

export function createApiServer(proxies: ProxyCollection): Server {
  const table = routes(proxies)
  const server = createServer(async (req, res) => {
    try {
      if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
        res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' })
        res.end('User agent not allowed\n')
        return
      }
      const path = new URL(req.url ?? '/', 'http://fault-proxy').pathname
      const matching = table.filter(([, pattern]) => pattern.test(path))
      if (matching.length === 0) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        res.end('404 page not found\n')
        return
      }
      const route = matching.find(([method]) => method.split('|').includes(req.method ?? ''))
      if (route === undefined) {
        res.writeHead(405)
        res.end()
        return
      }
      const params = (route[1].exec(path) ?? []).slice(1).map(decodeSegment)
      await route[2](req, res, params)
    } catch (e) {
      if (res.headersSent) res.destroy()
      else sendError(res, e instanceof ApiError ? e : new ApiError(e instanceof Error ? e.message : String(e), 500))
    }
  })
  server.requestTimeout = 30_000
  server.headersTimeout = 10_000
  server.keepAliveTimeout = 5_000
  return server
}
