/**
 * Http1Pool (harness/load/http1-pool.ts) against real servers on 127.0.0.1: a raw `node:net`
 * server where the exact bytes matter (what went out, what comes back, when a socket closes), a
 * `node:http` one where an ordinary server's behaviour is the point. Every server and pool is
 * closed in afterEach.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { Http1Pool, HttpTransportError, type Http1Request, type Http1Response } from '../../../harness/load/http1-pool.ts'
import { closedPort } from '../../helpers/closed-port.ts'
import { listenLoopback, runCleanups, type Cleanup } from '../../helpers/listen.ts'

const POOL_URL = new URL('../../../harness/load/http1-pool.ts', import.meta.url).href

// ---------------------------------------------------------------------------------------------
// servers, pools and their cleanup

const cleanups: Cleanup[] = []
const pools: Http1Pool[] = []

afterEach(async () => {
  // servers first: that fails whatever a test left in flight, so pool.close() can finish
  await runCleanups(cleanups)
  for (const p of pools.splice(0)) await within(p.close(), 1_000, 'pool.close() in afterEach')
})

function newPool(origin: string, opts: { connections: number; keepAliveTimeout?: number }): Http1Pool {
  const p = new Http1Pool(origin, opts)
  pools.push(p)
  return p
}

/** One connection as a raw server sees it. */
interface RawConn {
  id: number
  socket: Socket
  /** every byte received, in order */
  received: Buffer[]
  requests: RawRequest[]
  /** the client sent FIN or the socket closed */
  ended: boolean
  closed: boolean
}

interface RawRequest {
  conn: RawConn
  method: string
  path: string
  /** the request line and headers, latin1, without the blank line */
  head: string
  body: Buffer
}

interface RawServer {
  origin: string
  port: number
  conns: RawConn[]
  requests: RawRequest[]
  /** every byte received on every connection, as latin1 */
  bytes(): string
}

/**
 * A raw HTTP/1.1 server: splits what arrives into requests (head + content-length body) and hands
 * each to `onRequest`, which answers (or not) by writing to `req.conn.socket`.
 */
async function rawServer(onRequest: (req: RawRequest) => void, onConnection?: (conn: RawConn) => void): Promise<RawServer> {
  const conns: RawConn[] = []
  const requests: RawRequest[] = []
  const server = createNetServer((socket) => {
    const conn: RawConn = { id: conns.length + 1, socket, received: [], requests: [], ended: false, closed: false }
    conns.push(conn)
    let pending = Buffer.alloc(0)
    socket.on('error', () => {})
    socket.on('end', () => (conn.ended = true))
    socket.on('close', () => {
      conn.ended = true
      conn.closed = true
    })
    socket.on('data', (chunk: Buffer) => {
      conn.received.push(chunk)
      pending = Buffer.concat([pending, chunk])
      for (;;) {
        const end = pending.indexOf('\r\n\r\n')
        if (end === -1) return
        const head = pending.subarray(0, end).toString('latin1')
        const m = /\r\ncontent-length: *(\d+)/i.exec(head)
        const length = m ? Number(m[1]) : 0
        if (pending.length < end + 4 + length) return
        const body = Buffer.from(pending.subarray(end + 4, end + 4 + length))
        pending = pending.subarray(end + 4 + length)
        const [method, path] = head.split(' ')
        const req: RawRequest = { conn, method, path, head, body }
        conn.requests.push(req)
        requests.push(req)
        if (!socket.destroyed) onRequest(req)
      }
    })
    onConnection?.(conn)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(async () => {
    for (const c of conns) c.socket.destroy()
    server.close()
    await once(server, 'close')
  })
  const port = (server.address() as AddressInfo).port
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    conns,
    requests,
    bytes: () => Buffer.concat(conns.flatMap((c) => c.received)).toString('latin1'),
  }
}

interface HttpServer {
  origin: string
  /** sockets in order of the server's 'connection' events */
  sockets: Socket[]
  /** the index in `sockets` of the socket a request came in on */
  connOf(req: IncomingMessage): number
}

async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpServer> {
  const sockets: Socket[] = []
  const server = createHttpServer(handler)
  server.on('connection', (s: Socket) => sockets.push(s))
  return { origin: `http://127.0.0.1:${await listenLoopback(server, cleanups)}`, sockets, connOf: (req) => sockets.indexOf(req.socket as Socket) }
}

// ---------------------------------------------------------------------------------------------
// small helpers

/** A GET with short timeouts, so a pool that waits for bytes that never come fails fast, not at the test timeout. */
function get(pool: Http1Pool, path: string, more: Partial<Http1Request> = {}): Promise<Http1Response> {
  return pool.request({ method: 'GET', path, headers: [], headersTimeout: 1_500, bodyTimeout: 1_500, wantBody: () => true, ...more })
}

/** The HttpTransportError a promise rejects with; fails the test if it resolves or rejects otherwise. */
async function failure(p: Promise<unknown>): Promise<HttpTransportError> {
  let value: unknown
  try {
    value = await p
  } catch (e) {
    expect(e).toBeInstanceOf(HttpTransportError)
    return e as HttpTransportError
  }
  throw new Error(`expected a rejection, the request resolved with ${JSON.stringify(value)}`)
}

/** What a promise rejects with; fails the test if it resolves. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  let value: unknown
  try {
    value = await p
  } catch (e) {
    return e
  }
  throw new Error(`expected a rejection, the request resolved with ${JSON.stringify(value)}`)
}

async function waitFor(cond: () => boolean, ms = 1_500): Promise<void> {
  const until = Date.now() + ms
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await sleep(5)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Writes each part as its own TCP write, a few ms apart. */
async function writeSlowly(socket: Socket, parts: (string | Buffer)[], gapMs = 5): Promise<void> {
  for (const [i, part] of parts.entries()) {
    if (i > 0) await sleep(gapMs)
    if (socket.destroyed) return
    socket.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part)
  }
}

function ok(body: string, extra = ''): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`
}

// ---------------------------------------------------------------------------------------------

describe('connections: keep-alive reuse, the limit, FIFO', () => {
  test('sequential requests over connections: 1 share one socket', async () => {
    const srv = await httpServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`r${req.url}`))
    const pool = newPool(srv.origin, { connections: 1 })
    const texts: (string | null)[] = []
    for (let i = 0; i < 5; i++) {
      const r = await get(pool, `/${i}`)
      expect(r.status).toBe(200)
      texts.push(r.text)
    }
    expect(texts).toEqual(['r/0', 'r/1', 'r/2', 'r/3', 'r/4'])
    expect(srv.sockets.length).toBe(1)
  })

  test('fresh: each request on a new socket of its own, closed after its response, even past the limit; the idle socket is left alone', async () => {
    const srv = await rawServer((req) => req.conn.socket.write(ok(req.path)))
    const pool = newPool(srv.origin, { connections: 1 })
    expect((await get(pool, '/warm')).text).toBe('/warm')
    const fresh = await Promise.all(['/a', '/b', '/c'].map((path) => pool.request({ method: 'GET', path, headers: [], fresh: true, wantBody: () => true })))
    expect(fresh.map((r) => r.text)).toEqual(['/a', '/b', '/c'])
    // the warm socket plus one per fresh request, each fresh one carrying exactly its request
    expect(srv.conns.map((c) => c.requests.map((r) => r.path))).toEqual([['/warm'], ['/a'], ['/b'], ['/c']])
    await waitFor(() => srv.conns.slice(1).every((c) => c.ended))
    expect(srv.conns[0].ended).toBe(false)
    expect((await get(pool, '/again')).text).toBe('/again')
    expect(srv.conns[0].requests.map((r) => r.path)).toEqual(['/warm', '/again'])
  })

  test('connections: 2 and 5 concurrent requests: two sockets, the rest wait and go out in FIFO order', async () => {
    const held: { path: string; conn: number; res: ServerResponse }[] = []
    let open = 0
    let maxOpen = 0
    const srv = await httpServer((req, res) => held.push({ path: req.url ?? '', conn: srv.connOf(req), res }))
    const pool = newPool(srv.origin, { connections: 2 })
    const all = [0, 1, 2, 3, 4].map((i) => get(pool, `/${i}`))
    await waitFor(() => held.length === 2)
    for (const s of srv.sockets) {
      open++
      s.on('close', () => open--)
    }
    maxOpen = open
    expect(held.map((h) => h.path).sort()).toEqual(['/0', '/1'])
    expect(srv.sockets.length).toBe(2)
    await sleep(20)
    expect(held.length).toBe(2)

    // answer the oldest outstanding request each time: the next queued one goes out on the freed socket
    for (let next = 2; next < 5; next++) {
      const h = held.find((x) => !x.res.writableEnded)!
      h.res.writeHead(200).end(`a${h.path}`)
      await waitFor(() => held.length === next + 1)
      expect(held[next].path).toBe(`/${next}`)
      expect(held[next].conn).toBe(h.conn)
      maxOpen = Math.max(maxOpen, open)
    }
    for (const h of held) if (!h.res.writableEnded) h.res.writeHead(200).end(`a${h.path}`)
    const results = await Promise.all(all)
    expect(results.map((r) => [r.status, r.text])).toEqual([0, 1, 2, 3, 4].map((i) => [200, `a/${i}`]))
    expect(srv.sockets.length).toBe(2)
    expect(maxOpen).toBe(2)
  })

  test('the most recently idle socket is reused first', async () => {
    const held: { conn: number; res: ServerResponse }[] = []
    const seen: { path: string; conn: number }[] = []
    const srv = await httpServer((req, res) => {
      seen.push({ path: req.url ?? '', conn: srv.connOf(req) })
      if (req.url === '/hold') held.push({ conn: srv.connOf(req), res })
      else res.writeHead(200).end('x')
    })
    const pool = newPool(srv.origin, { connections: 2 })
    const a = get(pool, '/hold')
    const b = get(pool, '/hold')
    await waitFor(() => held.length === 2)
    held[0].res.writeHead(200).end('first')
    expect((await a).text).toBe('first')
    held[1].res.writeHead(200).end('second')
    expect((await b).text).toBe('second')
    expect((await get(pool, '/next')).status).toBe(200)
    expect(seen.at(-1)).toEqual({ path: '/next', conn: held[1].conn })
    expect(srv.sockets.length).toBe(2)
  })
})

describe('the request on the wire', () => {
  test('request line, headers in order with repeats, host added once, content-length by method and UTF-8 byte length', async () => {
    const srv = await rawServer((req) => req.conn.socket.write(ok('ok')))
    const pool = newPool(srv.origin, { connections: 1 })
    const host = `127.0.0.1:${srv.port}`
    const send = async (r: Partial<Http1Request> & { method: string; path: string; headers: string[] }) => {
      const res = await pool.request({ wantBody: () => true, ...r })
      expect([res.status, res.text]).toEqual([200, 'ok'])
    }
    await send({ method: 'GET', path: '/a?b=1&c=%20', headers: ['x-one', '1', 'DPoP', 'proof-1', 'dpop', 'proof-2', 'X-Mixed-Case', 'V a l'] })
    await send({ method: 'GET', path: '/own-host', headers: ['Host', 'example.test:8443', 'accept', '*/*'] })
    await send({ method: 'POST', path: '/utf8', headers: ['content-type', 'text/plain; charset=utf-8'], body: 'café' })
    await send({ method: 'POST', path: '/empty', headers: [] })
    await send({ method: 'PUT', path: '/given-length', headers: ['content-length', '3'], body: 'abc' })
    await send({ method: 'DELETE', path: '/gone', headers: [] })
    expect(srv.conns.length).toBe(1)
    expect(srv.bytes()).toBe(
      Buffer.concat([
        Buffer.from(`GET /a?b=1&c=%20 HTTP/1.1\r\nx-one: 1\r\nDPoP: proof-1\r\ndpop: proof-2\r\nX-Mixed-Case: V a l\r\nhost: ${host}\r\n\r\n`),
        Buffer.from('GET /own-host HTTP/1.1\r\nHost: example.test:8443\r\naccept: */*\r\n\r\n'),
        Buffer.from(`POST /utf8 HTTP/1.1\r\ncontent-type: text/plain; charset=utf-8\r\nhost: ${host}\r\ncontent-length: 5\r\n\r\n`),
        Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9]),
        Buffer.from(`POST /empty HTTP/1.1\r\nhost: ${host}\r\ncontent-length: 0\r\n\r\n`),
        Buffer.from(`PUT /given-length HTTP/1.1\r\ncontent-length: 3\r\nhost: ${host}\r\n\r\nabc`),
        Buffer.from(`DELETE /gone HTTP/1.1\r\nhost: ${host}\r\n\r\n`),
      ]).toString('latin1'),
    )
  })

  test('trusted pairs go out first, as given and unchecked; the checked headers follow', async () => {
    const srv = await rawServer((req) => req.conn.socket.write(ok('ok')))
    const pool = newPool(srv.origin, { connections: 1 })
    const res = await pool.request({ method: 'GET', path: '/t', trusted: ['traceparent', '00-ab-cd-01', 'dpop', 'h.p.s'], headers: ['authorization', 'DPoP t'], wantBody: () => true })
    expect(res.text).toBe('ok')
    expect(srv.bytes()).toBe(`GET /t HTTP/1.1\r\ntraceparent: 00-ab-cd-01\r\ndpop: h.p.s\r\nauthorization: DPoP t\r\nhost: 127.0.0.1:${srv.port}\r\n\r\n`)
    // the checked list is still checked when trusted pairs come with it
    await expect(pool.request({ method: 'GET', path: '/t', trusted: ['dpop', 'h.p.s'], headers: ['x-bad', 'a\r\nb'], wantBody: () => true })).rejects.toMatchObject({ code: 'HTTP_INVALID_HEADER' })
  })
})

describe('responses', () => {
  test('a sized body: status, lower-cased headers, text', async () => {
    const srv = await rawServer((req) => req.conn.socket.write('HTTP/1.1 201 Created\r\nContent-Length: 11\r\nContent-Type: text/plain\r\nX-Req: a\r\n\r\nhello world'))
    const pool = newPool(srv.origin, { connections: 1 })
    expect(await get(pool, '/sized')).toEqual({ status: 201, headers: { 'content-length': '11', 'content-type': 'text/plain', 'x-req': 'a' }, text: 'hello world' })
  })

  test('a chunked body split across TCP writes (mid size line, mid UTF-8 character); the socket is kept', async () => {
    const body = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nf\r\n, café au lait\r\n0\r\n\r\n', 'utf8')
    const e9 = body.indexOf(0xa9)
    const srv = await rawServer((req) => {
      if (req.path === '/chunked') void writeSlowly(req.conn.socket, [body.subarray(0, 20), body.subarray(20, 49), body.subarray(49, 52), body.subarray(52, e9), body.subarray(e9)])
      else req.conn.socket.write(ok('after'))
    })
    const pool = newPool(srv.origin, { connections: 1 })
    expect(await get(pool, '/chunked')).toEqual({ status: 200, headers: { 'transfer-encoding': 'chunked' }, text: 'hello, café au lait' })
    expect((await get(pool, '/after')).text).toBe('after')
    expect(srv.conns.length).toBe(1)
  })

  test('a body without length is read until the server closes (HTTP/1.0 and 1.1); the next request opens a new socket', async () => {
    const srv = await rawServer((req) => {
      const s = req.conn.socket
      const status = req.path === '/eof10' ? 'HTTP/1.0 200 OK' : 'HTTP/1.1 200 OK'
      void writeSlowly(s, [`${status}\r\nContent-Type: text/plain\r\n\r\nuntil `, 'the server ', 'closes']).then(() => s.end())
    })
    const pool = newPool(srv.origin, { connections: 1 })
    expect(await get(pool, '/eof10')).toEqual({ status: 200, headers: { 'content-type': 'text/plain' }, text: 'until the server closes' })
    expect(await get(pool, '/eof11')).toEqual({ status: 200, headers: { 'content-type': 'text/plain' }, text: 'until the server closes' })
    expect(srv.conns.length).toBe(2)
  })

  test('informational 100 and 103 responses are skipped; the final 200 is returned', async () => {
    const srv = await rawServer((req) => {
      if (req.path === '/early') void writeSlowly(req.conn.socket, ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 103 Early Hints\r\nLink: </x.css>; rel=preload\r\n\r\n', ok('final', 'X-Final: yes\r\n')])
      else req.conn.socket.write(ok('after'))
    })
    const pool = newPool(srv.origin, { connections: 1 })
    expect(await get(pool, '/early')).toEqual({ status: 200, headers: { 'content-length': '5', 'x-final': 'yes' }, text: 'final' })
    expect((await get(pool, '/after')).text).toBe('after')
    expect(srv.conns.length).toBe(1)
  })

  test('HEAD: a content-length but no body; the next request on the same socket reads its own response', async () => {
    const srv = await rawServer((req) => {
      if (req.method === 'HEAD') req.conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/plain\r\n\r\n')
      else req.conn.socket.write(ok('after'))
    })
    const pool = newPool(srv.origin, { connections: 1 })
    expect(await pool.request({ method: 'HEAD', path: '/h', headers: [], bodyTimeout: 500, wantBody: () => true })).toEqual({
      status: 200,
      headers: { 'content-length': '1234', 'content-type': 'text/plain' },
      text: '',
    })
    expect(await get(pool, '/after')).toEqual({ status: 200, headers: { 'content-length': '5' }, text: 'after' })
    expect(srv.conns.length).toBe(1)
    expect(srv.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /h', 'GET /after'])
  })

  test('204 and 304 have no body (even a 304 with a content-length); the socket is kept', async () => {
    const srv = await rawServer((req) => {
      if (req.path === '/204') req.conn.socket.write('HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n')
      else if (req.path === '/304') req.conn.socket.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 10\r\n\r\n')
      else req.conn.socket.write(ok('after'))
    })
    const pool = newPool(srv.origin, { connections: 1 })
    expect(await get(pool, '/204', { bodyTimeout: 500 })).toEqual({ status: 204, headers: { 'x-a': '1' }, text: '' })
    expect(await get(pool, '/304', { bodyTimeout: 500 })).toEqual({ status: 304, headers: { etag: '"v1"', 'content-length': '10' }, text: '' })
    expect((await get(pool, '/after')).text).toBe('after')
    expect(srv.conns.length).toBe(1)
  })

  test('204 and 304 from node:http keep the socket alive', async () => {
    const srv = await httpServer((req, res) => {
      if (req.url === '/204') res.writeHead(204).end()
      else if (req.url === '/304') res.writeHead(304, { etag: '"v1"' }).end()
      else res.writeHead(200).end('after')
    })
    const pool = newPool(srv.origin, { connections: 1 })
    expect((await get(pool, '/204')).status).toBe(204)
    expect((await get(pool, '/304')).status).toBe(304)
    expect(await get(pool, '/after')).toMatchObject({ status: 200, text: 'after' })
    expect(srv.sockets.length).toBe(1)
  })

  test('a leading UTF-8 BOM is dropped, a BOM later in the body is kept', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf])
    const srv = await rawServer((req) => {
      const body = req.path === '/bom' ? Buffer.concat([bom, Buffer.from('{"a":"é"}')]) : Buffer.concat([Buffer.from('x'), bom])
      req.conn.socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]))
    })
    const pool = newPool(srv.origin, { connections: 1 })
    expect((await get(pool, '/bom')).text).toBe('{"a":"é"}')
    expect((await get(pool, '/later')).text).toBe('x\ufeff')
  })

  test('wantBody false: text null, wantBody saw the final status and headers; the body is still consumed', async () => {
    const srv = await rawServer((req) => req.conn.socket.write(req.path === '/skip' ? ok('not wanted', 'X-K: v\r\n') : ok('after')))
    const pool = newPool(srv.origin, { connections: 1 })
    const calls: unknown[] = []
    const r = await get(pool, '/skip', { wantBody: (status, headers) => (calls.push([status, { ...headers }]), false) })
    expect(r).toEqual({ status: 200, headers: { 'content-length': '10', 'x-k': 'v' }, text: null })
    expect(calls).toEqual([[200, { 'content-length': '10', 'x-k': 'v' }]])
    expect(await get(pool, '/after')).toEqual({ status: 200, headers: { 'content-length': '5' }, text: 'after' })
    expect(srv.conns.length).toBe(1)
  })

  test('repeated response headers come back as an array, in order', async () => {
    const srv = await rawServer((req) => req.conn.socket.write(ok('', 'Set-Cookie: a=1\r\nset-cookie: b=2\r\nX-Three: 1\r\nX-THREE: 2\r\nx-three: 3\r\n')))
    const pool = newPool(srv.origin, { connections: 1 })
    expect((await get(pool, '/')).headers).toEqual({ 'content-length': '0', 'set-cookie': ['a=1', 'b=2'], 'x-three': ['1', '2', '3'] })
  })
})

describe('Connection: close', () => {
  test('from node:http: the socket is closed after the response, the next request (sent or queued) opens a new one', async () => {
    const srv = await httpServer((req, res) => res.writeHead(200, { connection: 'close' }).end(`bye${req.url}`))
    const pool = newPool(srv.origin, { connections: 1 })
    expect(await get(pool, '/1')).toMatchObject({ status: 200, text: 'bye/1', headers: { connection: 'close' } })
    expect(await get(pool, '/2')).toMatchObject({ status: 200, text: 'bye/2' })
    // queued behind a socket that closes: each goes out on a new one when the slot frees
    expect((await Promise.all(['/3', '/4', '/5'].map((p) => get(pool, p)))).map((r) => r.text)).toEqual(['bye/3', 'bye/4', 'bye/5'])
    expect(srv.sockets.length).toBe(5)
  })

  test('the pool closes the socket itself when the server says close (or HTTP/1.0 without keep-alive) but leaves it open', async () => {
    const srv = await rawServer((req) => {
      if (req.path === '/close') req.conn.socket.write(ok('c', 'Connection: close\r\n'))
      else if (req.path === '/http10') req.conn.socket.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n10')
      else req.conn.socket.write(ok('next'))
    })
    const pool = newPool(srv.origin, { connections: 1 })
    expect((await get(pool, '/close')).text).toBe('c')
    expect((await get(pool, '/next')).text).toBe('next')
    expect((await get(pool, '/http10')).text).toBe('10')
    expect((await get(pool, '/next')).text).toBe('next')
    expect(srv.conns.map((c) => c.requests.map((r) => r.path))).toEqual([['/close'], ['/next', '/http10'], ['/next']])
    await waitFor(() => srv.conns[0].ended && srv.conns[1].ended)
    expect(srv.conns[2].ended).toBe(false)
  })
})

describe('the keep-alive race', () => {
  test('a reused socket the server closes as the request arrives: retried once on a new socket, succeeds', async () => {
    const srv = await rawServer((req) => {
      if (req.conn.id === 1 && req.conn.requests.length === 2) req.conn.socket.destroy()
      else req.conn.socket.write(ok(`c${req.conn.id}${req.path}`))
    })
    const pool = newPool(srv.origin, { connections: 1 })
    expect((await get(pool, '/one')).text).toBe('c1/one')
    expect(await get(pool, '/two', { headers: ['x-n', '2'] })).toMatchObject({ status: 200, text: 'c2/two' })
    expect(srv.conns.length).toBe(2)
    expect(srv.requests.map((r) => `${r.conn.id} ${r.path}`)).toEqual(['1 /one', '1 /two', '2 /two'])
    // the retry is the same request, byte for byte
    expect(srv.conns[1].received.join('')).toBe(Buffer.concat(srv.conns[0].received).subarray(srv.conns[0].requests[0].head.length + 4).toString('latin1'))
  })

  test('never retried twice: two reused sockets that both close before answering fail the request', async () => {
    let killReused = false
    const srv = await rawServer((req) => {
      if (killReused) req.conn.socket.destroy()
      else if (req.path === '/warm') setTimeout(() => req.conn.socket.write(ok('w')), 30)
    })
    const pool = newPool(srv.origin, { connections: 2 })
    // two sockets, both served once and idle
    expect((await Promise.all([get(pool, '/warm'), get(pool, '/warm')])).map((r) => r.text)).toEqual(['w', 'w'])
    expect(srv.conns.length).toBe(2)
    killReused = true
    const e = await failure(get(pool, '/doomed'))
    expect(['HTTP_SOCKET_CLOSED', 'ECONNRESET']).toContain(e.code)
    expect(srv.requests.filter((r) => r.path === '/doomed').map((r) => r.conn.id).sort()).toEqual([1, 2])
    expect(srv.conns.length).toBe(2)
  })

  test('the server closes an idle kept-alive socket: the next request goes out on a new one', async () => {
    const srv = await rawServer((req) => {
      req.conn.socket.write(ok(`c${req.conn.id}`))
      if (req.conn.id === 1) setTimeout(() => req.conn.socket.end(), 20)
    })
    const pool = newPool(srv.origin, { connections: 1 })
    expect((await get(pool, '/')).text).toBe('c1')
    await waitFor(() => srv.conns[0].closed)
    expect((await get(pool, '/')).text).toBe('c2')
    expect(srv.conns.map((c) => c.requests.length)).toEqual([1, 1])
  })

  test('a new socket closed before any response byte fails at once, without a retry', async () => {
    const srv = await rawServer((req) => req.conn.socket.destroy())
    const pool = newPool(srv.origin, { connections: 1 })
    const e = await failure(get(pool, '/'))
    expect(['HTTP_SOCKET_CLOSED', 'ECONNRESET']).toContain(e.code)
    await sleep(30)
    expect(srv.conns.length).toBe(1)
    expect(srv.requests.length).toBe(1)
  })
})

describe("the server's Keep-Alive hint", () => {
  test('Keep-Alive: timeout=1: after ~1.1 s idle the next request uses a new socket (timeout=5: the same one)', async () => {
    const run = async (hint: string) => {
      const srv = await rawServer((req) => req.conn.socket.write(ok(`c${req.conn.id}`, `Connection: keep-alive\r\nKeep-Alive: ${hint}\r\n`)))
      const pool = newPool(srv.origin, { connections: 1 })
      const first = (await get(pool, '/')).text
      await sleep(1_100)
      const second = (await get(pool, '/')).text
      return { srv, texts: [first, second] }
    }
    const [short, long] = await Promise.all([run('timeout=1'), run('timeout=5, max=100')])
    expect(short.texts).toEqual(['c1', 'c2'])
    expect(long.texts).toEqual(['c1', 'c1'])
    // the idle socket was closed by the pool, not left open
    await waitFor(() => short.srv.conns[0].ended)
    expect(long.srv.conns[0].ended).toBe(false)
  })
})

describe("the pool's own keepAliveTimeout", () => {
  test('a socket idle for longer than keepAliveTimeout is not reused, even before the sweep has run', async () => {
    const srv = await rawServer((req) => req.conn.socket.write(ok(`c${req.conn.id}`)))
    const pool = newPool(srv.origin, { connections: 1, keepAliveTimeout: 100 })
    // default request timeouts: the sweep runs once a second, so at 200 ms only the check on reuse can close it
    const send = async () => (await pool.request({ method: 'GET', path: '/', headers: [], wantBody: () => true })).text
    expect(await send()).toBe('c1')
    expect(await send()).toBe('c1')
    await sleep(200)
    expect(await send()).toBe('c2')
    await waitFor(() => srv.conns[0].ended)
  })
})

/** A request that must fail with `code` after its 200 ms timeout (the sweep fires within ±¼ of it). */
async function expectTimeoutFailure(p: Promise<unknown>, code: string): Promise<void> {
  const t0 = performance.now()
  const e = await failure(p)
  const took = performance.now() - t0
  expect(e.code).toBe(code)
  expect(took).toBeGreaterThanOrEqual(150)
  expect(took).toBeLessThan(350)
}

describe('timeouts', () => {
  test('headersTimeout: no response head → HTTP_HEADERS_TIMEOUT, the socket closed', async () => {
    const srv = await rawServer(() => {})
    const pool = newPool(srv.origin, { connections: 1 })
    await expectTimeoutFailure(pool.request({ method: 'GET', path: '/silent', headers: [], headersTimeout: 200, wantBody: () => true }), 'HTTP_HEADERS_TIMEOUT')
    expect(srv.requests.length).toBe(1)
    await waitFor(() => srv.conns[0].ended)
  })

  test('bodyTimeout: head and part of a sized body, then nothing → HTTP_BODY_TIMEOUT, the socket closed', async () => {
    const srv = await rawServer((req) => req.conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'))
    const pool = newPool(srv.origin, { connections: 1 })
    await expectTimeoutFailure(pool.request({ method: 'GET', path: '/stall', headers: [], bodyTimeout: 200, wantBody: () => true }), 'HTTP_BODY_TIMEOUT')
    await waitFor(() => srv.conns[0].ended)
  })

  test('bodyTimeout is between body bytes, not for the whole body: a body trickling in over 2× the timeout completes', async () => {
    const srv = await rawServer((req) => void writeSlowly(req.conn.socket, ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'a', 'b', 'c', 'd', 'e'], 80))
    const pool = newPool(srv.origin, { connections: 1 })
    expect((await pool.request({ method: 'GET', path: '/trickle', headers: [], bodyTimeout: 200, wantBody: () => true })).text).toBe('abcde')
  })
})

describe('transport and parse errors', () => {
  test('a garbage response → HTTP_PARSE_ERROR with the parser code', async () => {
    const srv = await rawServer((req) => req.conn.socket.write('HELLO\r\n\r\n'))
    const pool = newPool(srv.origin, { connections: 1 })
    const e = await failure(get(pool, '/'))
    expect(e.code).toBe('HTTP_PARSE_ERROR')
    expect(e.message).toContain('HPE_INVALID_CONSTANT')
    await waitFor(() => srv.conns[0].ended)
  })

  test('two different Content-Length values → HTTP_PARSE_ERROR', async () => {
    const srv = await rawServer((req) => req.conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc'))
    const pool = newPool(srv.origin, { connections: 1 })
    const e = await failure(get(pool, '/'))
    expect(e.code).toBe('HTTP_PARSE_ERROR')
    expect(e.message).toContain('HPE_UNEXPECTED_CONTENT_LENGTH')
  })

  test('a refused port → ECONNREFUSED', async () => {
    const port = await closedPort()
    const pool = newPool(`http://127.0.0.1:${port}`, { connections: 1 })
    expect((await failure(get(pool, '/'))).code).toBe('ECONNREFUSED')
  })

  test('a reset or a close mid-body (even on a reused socket) is an error, never a response, and not retried', async () => {
    const srv = await rawServer((req) => {
      const s = req.conn.socket
      if (req.path === '/warm') s.write(ok('w'))
      else if (req.path === '/rst') void writeSlowly(s, ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart']).then(() => setTimeout(() => s.resetAndDestroy(), 10))
      else if (req.path === '/fin') void writeSlowly(s, ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart']).then(() => setTimeout(() => s.end(), 10))
      else if (req.path === '/fin-chunked') void writeSlowly(s, ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npart\r\n']).then(() => setTimeout(() => s.end(), 10))
    })
    const pool = newPool(srv.origin, { connections: 1 })
    expect((await get(pool, '/warm')).text).toBe('w')
    expect(['ECONNRESET', 'HTTP_SOCKET_CLOSED']).toContain((await failure(get(pool, '/rst'))).code)
    expect((await get(pool, '/warm')).text).toBe('w')
    expect((await failure(get(pool, '/fin'))).code).toBe('HTTP_SOCKET_CLOSED')
    expect((await get(pool, '/warm')).text).toBe('w')
    expect((await failure(get(pool, '/fin-chunked'))).code).toBe('HTTP_SOCKET_CLOSED')
    expect(srv.conns.map((c) => c.requests.map((r) => r.path))).toEqual([['/warm', '/rst'], ['/warm', '/fin'], ['/warm', '/fin-chunked']])
  })
})

describe('invalid input', () => {
  test('CR/LF in a value, a space or nothing in a name, a bad request line → HTTP_INVALID_HEADER, nothing written', async () => {
    const srv = await rawServer((req) => req.conn.socket.write(ok('ok')))
    const pool = newPool(srv.origin, { connections: 1 })
    const bad: [string, Partial<Http1Request>][] = [
      ['CRLF in a value', { headers: ['x-a', 'v\r\nx-injected: 1'] }],
      ['LF in a value', { headers: ['x-a', 'v\nx'] }],
      ['CR in a value', { headers: ['x-a', 'v\rx'] }],
      ['NUL in a value', { headers: ['x-a', 'v\0'] }],
      ['a space in a name', { headers: ['x bad', 'v'] }],
      ['a colon in a name', { headers: ['x:bad', 'v'] }],
      ['an empty name', { headers: ['', 'v'] }],
      ['a space in the path', { path: '/a b' }],
      ['CRLF in the path', { path: '/a\r\nx-injected: 1' }],
      ['a path without a slash', { path: 'a' }],
      ['a method with a space', { method: 'GET /x' }],
      // long values (access tokens) are remembered once checked: a bad one never is, a good one stays good
      ['LF at the end of a token-sized value', { headers: ['authorization', `DPoP ${'a'.repeat(700)}\n`] }],
      ['the same bad token-sized value again', { headers: ['authorization', `DPoP ${'a'.repeat(700)}\n`] }],
      ['a non-latin1 character in a token-sized value', { headers: ['authorization', `DPoP ${'a'.repeat(700)}\u010a`] }],
    ]
    for (const [what, r] of bad) {
      const e = await failure(get(pool, '/ok', r))
      expect(e.code, what).toBe('HTTP_INVALID_HEADER')
    }
    expect(srv.conns.length).toBe(0)
    const token = `DPoP ${'b'.repeat(700)}`
    for (let i = 0; i < 2; i++) expect((await get(pool, '/token', { headers: ['authorization', token] })).text).toBe('ok')
    srv.conns[0].received.length = 0
    // the pool still works, and only the good request reaches the server
    expect((await get(pool, '/good', { headers: ['x-a', 'tab\tand latin1 \u00e9'] })).text).toBe('ok')
    expect(srv.bytes()).toBe(`GET /good HTTP/1.1\r\nx-a: tab\tand latin1 \u00e9\r\nhost: 127.0.0.1:${srv.port}\r\n\r\n`)
  })
})

describe('abort', () => {
  test('aborted before the call: rejects with the reason, nothing sent', async () => {
    const srv = await rawServer((req) => req.conn.socket.write(ok('ok')))
    const pool = newPool(srv.origin, { connections: 1 })
    const reason = new Error('stopped before')
    expect(await rejection(get(pool, '/', { signal: AbortSignal.abort(reason) }))).toBe(reason)
    expect(await rejection(get(pool, '/', { signal: AbortSignal.abort() }))).toMatchObject({ name: 'AbortError' })
    await sleep(20)
    expect(srv.conns.length).toBe(0)
  })

  test('in flight: rejects at once with the reason, the socket is closed, the pool keeps working', async () => {
    const srv = await rawServer((req) => {
      if (req.path !== '/hang') req.conn.socket.write(ok(`c${req.conn.id}`))
    })
    const pool = newPool(srv.origin, { connections: 1 })
    const ctl = new AbortController()
    // long timeouts: only the abort may close the socket here
    const p = get(pool, '/hang', { signal: ctl.signal, headersTimeout: 10_000, bodyTimeout: 10_000 })
    const settled = rejection(p).then((e) => ({ e, at: performance.now() }))
    await waitFor(() => srv.requests.length === 1)
    const reason = new Error('stopped in flight')
    const t0 = performance.now()
    ctl.abort(reason)
    const { e, at } = await settled
    expect(e).toBe(reason)
    expect(at - t0).toBeLessThan(50)
    await waitFor(() => srv.conns[0].ended, 300)
    expect((await get(pool, '/next')).text).toBe('c2')
    expect(srv.requests.map((r) => `${r.conn.id} ${r.path}`)).toEqual(['1 /hang', '2 /next'])
  })

  test('while queued behind a busy connection: rejects at once, never sent', async () => {
    const held: Socket[] = []
    const srv = await rawServer((req) => {
      if (req.path === '/first') held.push(req.conn.socket)
      else req.conn.socket.write(ok(req.path))
    })
    const pool = newPool(srv.origin, { connections: 1 })
    const first = get(pool, '/first')
    await waitFor(() => held.length === 1)
    const ctl = new AbortController()
    const queued = get(pool, '/queued', { signal: ctl.signal })
    const reason = new Error('stopped while queued')
    const settled = rejection(queued).then((e) => ({ e, at: performance.now() }))
    const t0 = performance.now()
    ctl.abort(reason)
    const { e, at } = await settled
    expect(e).toBe(reason)
    expect(at - t0).toBeLessThan(50)
    held[0].write(ok('late'))
    expect((await first).text).toBe('late')
    expect((await get(pool, '/third')).text).toBe('/third')
    expect(srv.requests.map((r) => `${r.conn.id} ${r.path}`)).toEqual(['1 /first', '1 /third'])
  })
})

describe('close()', () => {
  test('queued requests reject with HTTP_POOL_CLOSED, the one in flight completes, close() resolves after it, later requests reject', async () => {
    const held: Socket[] = []
    const srv = await rawServer((req) => {
      if (req.path === '/first') held.push(req.conn.socket)
      else req.conn.socket.write(ok(req.path))
    })
    const pool = newPool(srv.origin, { connections: 1 })
    const events: string[] = []
    const first = get(pool, '/first').then((r) => (events.push('first'), r))
    await waitFor(() => held.length === 1)
    const queued = [get(pool, '/q1'), get(pool, '/q2')].map((p) => failure(p))
    const closed = pool.close().then(() => events.push('closed'))
    expect((await Promise.all(queued)).map((e) => e.code)).toEqual(['HTTP_POOL_CLOSED', 'HTTP_POOL_CLOSED'])
    expect((await failure(get(pool, '/after'))).code).toBe('HTTP_POOL_CLOSED')
    await sleep(30)
    expect(events).toEqual([])
    held[0].write(ok('late'))
    expect(await first).toMatchObject({ status: 200, text: 'late' })
    await within(closed, 1_000, 'close()')
    expect(events).toEqual(['first', 'closed'])
    expect(srv.requests.map((r) => r.path)).toEqual(['/first'])
    await waitFor(() => srv.conns[0].ended)
  })

  test('close() called twice while a request is in flight: both calls resolve once it completes', async () => {
    const held: Socket[] = []
    const srv = await rawServer((req) => held.push(req.conn.socket))
    const pool = newPool(srv.origin, { connections: 1 })
    const first = get(pool, '/first')
    await waitFor(() => held.length === 1)
    const a = pool.close()
    const b = pool.close()
    held[0].write(ok('late'))
    expect((await first).text).toBe('late')
    await within(Promise.all([a, b]), 1_000, 'both close() calls')
  })

  test('a wantBody that throws fails that request with its error, the socket is dropped, the pool goes on', async () => {
    const srv = await rawServer((req) => req.conn.socket.write(ok(req.path)))
    const pool = newPool(srv.origin, { connections: 1 })
    const boom = new Error('predicate failed')
    await expect(get(pool, '/a', { wantBody: () => { throw boom } })).rejects.toBe(boom)
    expect((await get(pool, '/b')).text).toBe('/b')
    expect(srv.conns.length).toBe(2)
  })

  test('close() with only idle sockets resolves and closes them', async () => {
    const srv = await rawServer((req) => req.conn.socket.write(ok('ok')))
    const pool = newPool(srv.origin, { connections: 2 })
    await Promise.all([get(pool, '/a'), get(pool, '/b')])
    expect(srv.conns.length).toBe(2)
    await within(pool.close(), 1_000, 'close()')
    await waitFor(() => srv.conns.every((c) => c.ended))
  })
})

describe('the event loop', () => {
  test('a process whose pool holds only idle sockets exits by itself', async () => {
    // node:http keeps an idle socket open for 5 s: only the pool unref'ing it lets the child exit
    const srv = await httpServer((req, res) => res.writeHead(200).end(`child${req.url}`))
    const script = [
      `import { Http1Pool } from ${JSON.stringify(POOL_URL)}`,
      `const pool = new Http1Pool(process.env.POOL_ORIGIN, { connections: 2 })`,
      `const r = await pool.request({ method: 'GET', path: '/x', headers: [], wantBody: () => true })`,
      `console.log(JSON.stringify([r.status, r.text]))`,
    ].join('\n')
    const { code, stdout, stderr, ms } = await runChild(script, { POOL_ORIGIN: srv.origin }, 2_500)
    expect(stderr.replace(/^.*ExperimentalWarning.*$|^\(Use `node --trace-warnings.*$/gm, '').trim()).toBe('')
    expect(stdout.trim()).toBe('[200,"child/x"]')
    expect(code).toBe(0)
    expect(ms).toBeLessThan(2_000)
    expect(srv.sockets.length).toBe(1)
  })
})

describe('unsolicited bytes (beyond the header list: "bytes nobody asked for: the framing is lost, so is the socket")', () => {
  test('stray bytes on an idle socket: the socket is dropped, the next request gets its own answer on a new one', async () => {
    const srv = await rawServer((req) => {
      req.conn.socket.write(ok(`c${req.conn.id}`))
      if (req.conn.id === 1) setTimeout(() => req.conn.socket.write(ok('stray')), 10)
    })
    const pool = newPool(srv.origin, { connections: 1 })
    expect((await get(pool, '/')).text).toBe('c1')
    await waitFor(() => srv.conns[0].ended)
    expect((await get(pool, '/')).text).toBe('c2')
  })

  test('an extra response in the same TCP write as the real one does not crash the process', async () => {
    let n = 0
    const srv = await rawServer((req) => {
      n++
      req.conn.socket.write(n === 1 ? `${ok('one')}${ok('extra')}` : ok('two'))
    })
    const script = [
      `import { Http1Pool } from ${JSON.stringify(POOL_URL)}`,
      `const pool = new Http1Pool(process.env.POOL_ORIGIN, { connections: 1 })`,
      `const send = (path) => pool.request({ method: 'GET', path, headers: [], headersTimeout: 1000, bodyTimeout: 1000, wantBody: () => true }).then((r) => r.status + ' ' + r.text, (e) => 'error ' + e.code)`,
      `console.log(await send('/1'))`,
      `console.log(await send('/2'))`,
      `await pool.close()`,
    ].join('\n')
    const { code, stdout, stderr } = await runChild(script, { POOL_ORIGIN: srv.origin }, 2_500)
    expect({ code, stdout: stdout.trim().split('\n'), uncaught: /TypeError.*$/m.exec(stderr)?.[0] ?? null }).toEqual({ code: 0, stdout: ['200 one', '200 two'], uncaught: null })
  })

  test('an extra response in the same TCP write is not handed to the next queued request', async () => {
    let n = 0
    const srv = await rawServer((req) => {
      n++
      req.conn.socket.write(n === 1 ? `${ok('one')}${ok('extra')}` : ok(req.path.slice(1)))
    })
    const pool = newPool(srv.origin, { connections: 1 })
    const [one, two] = await Promise.allSettled([get(pool, '/one'), get(pool, '/two')])
    expect(one).toMatchObject({ status: 'fulfilled', value: { status: 200, text: 'one' } })
    // its own answer, or a transport error: never the stray 'extra'
    if (two.status === 'fulfilled') expect({ status: two.value.status, text: two.value.text }).toEqual({ status: 200, text: 'two' })
    else expect(two.reason).toBeInstanceOf(HttpTransportError)
  })
})

/** Runs an inline ES module in a child node; kills it (by its own pid) if it outlives `ms`. */
async function runChild(script: string, env: Record<string, string>, ms: number): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now()
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const killer = setTimeout(() => child.kill('SIGKILL'), ms)
  const [code] = (await once(child, 'close')) as [number | null]
  clearTimeout(killer)
  return { code, stdout, stderr, ms: performance.now() - t0 }
}
