/**
 * Small HTTP helpers shared by the reference components (node:http, no framework: the resource
 * server's hot path must stay cheap).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

export class BodyTooLarge extends Error {}

/** Reads the whole request body, refusing more than `max` bytes so a client cannot exhaust memory. */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        reject(new BodyTooLarge(`body over ${max} bytes`))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(text)
}

/**
 * The one value of a header, or `multiple` when the request repeats it. Uses headersDistinct
 * because `req.headers` silently keeps only the first copy of some headers (e.g. authorization).
 */
export function singleHeader(req: IncomingMessage, name: string): string | null | 'multiple' {
  const values = req.headersDistinct[name]
  if (values === undefined || values.length === 0) return null
  if (values.length > 1) return 'multiple'
  return values[0]
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/

/** trace-id part of a W3C traceparent header; null when absent or malformed (all-zero is invalid). */
export function traceIdOf(req: IncomingMessage): string | null {
  const value = req.headers.traceparent
  if (typeof value !== 'string') return null
  const m = TRACEPARENT.exec(value.trim())
  if (m === null || /^0+$/.test(m[1])) return null
  return m[1]
}

/** X-Request-Id, bounded so a client cannot push large strings into evidence. */
export function requestIdOf(req: IncomingMessage): string | null {
  const value = req.headers['x-request-id']
  if (typeof value !== 'string' || value.length === 0) return null
  return value.slice(0, 128)
}

export function isLoopback(req: IncomingMessage): boolean {
  const a = req.socket.remoteAddress
  return a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1'
}
