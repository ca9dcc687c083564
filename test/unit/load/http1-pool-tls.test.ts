/**
 * Http1Pool over TLS (an `https:` origin) against servers on 127.0.0.1 with certificates made at
 * test time (test/helpers/tls-certs.ts: a CA, a server certificate for 127.0.0.1, ::1 and
 * localhost, one for another name, another CA). The pool's behaviours must be the same as over
 * plain sockets (http1-pool.test.ts): keep-alive reuse, fresh connections, responses split across
 * reads, timeouts, the keep-alive race's one retry, abort; plus what TLS adds: the CA from the
 * profile, SNI and ALPN, session resumption, coded failures with a hint naming origin and CA file.
 * Then one end-to-end attempt with a DPoP proof whose htu is the https URL, verified with jose, and
 * the off-hot-path helper and the evidence source with the same CA.
 */
import { once } from 'node:events'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { EmbeddedJWK, jwtVerify } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { ExpectedAttribution } from '../../../harness/contracts/attempt.ts'
import type { ResourceServerInfo, ToolSpec } from '../../../harness/contracts/target.ts'
import { httpCursorSource } from '../../../harness/evidence/http-cursor-source.ts'
import { Http1Pool, HttpTransportError, type Http1Request, type Http1Response } from '../../../harness/load/http1-pool.ts'
import { HttpPools } from '../../../harness/load/http-pool.ts'
import { sendAttempt } from '../../../harness/load/send-attempt.ts'
import { HttpClient } from '../../../harness/protocol/http.ts'
import { generateIdentityKey } from '../../../harness/protocol/identity-key.ts'
import { tokenHash } from '../../../harness/protocol/token-hash.ts'
import { makeTestCerts, type TestCerts } from '../../helpers/tls-certs.ts'
import { listenLoopback, runCleanups, type Cleanup } from '../../helpers/listen.ts'

let certs: TestCerts
beforeAll(() => {
  certs = makeTestCerts()
})
afterAll(() => certs.remove())

const cleanups: Cleanup[] = []
const pools: Http1Pool[] = []
afterEach(async () => {
  await runCleanups(cleanups)
  for (const p of pools.splice(0)) await p.close()
})

function newPool(origin: string, opts: { connections: number; ca?: string | null; keepAliveTimeout?: number }): Http1Pool {
  const p = new Http1Pool(origin, { connections: opts.connections, keepAliveTimeout: opts.keepAliveTimeout, tls: opts.ca === null ? undefined : { ca: opts.ca ?? certs.caFile } })
  pools.push(p)
  return p
}

function get(pool: Http1Pool, path: string, more: Partial<Http1Request> = {}): Promise<Http1Response> {
  return pool.request({ method: 'GET', path, headers: [], headersTimeout: 1_500, bodyTimeout: 1_500, wantBody: () => true, ...more })
}

async function failure(p: Promise<unknown>): Promise<HttpTransportError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(HttpTransportError)
    return e as HttpTransportError
  }
  throw new Error('expected a rejection')
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface TlsHttpServer {
  origin: string
  port: number
  server: HttpsServer
  /** server-side TLS sockets in order of their handshakes */
  sockets: TLSSocket[]
  /** per socket, whether its handshake resumed a session (read at the handshake: a closed socket no longer says) */
  reused: boolean[]
}

/** node:https on 127.0.0.1; `alpn` lets the server offer more than http/1.1 */
async function httpsServer(handler: Parameters<typeof createHttpsServer>[1], opts: { alpn?: string[]; key?: string; cert?: string } = {}): Promise<TlsHttpServer> {
  const server = createHttpsServer({ key: opts.key ?? certs.serverKey, cert: opts.cert ?? certs.serverCert, ...(opts.alpn ? { ALPNProtocols: opts.alpn } : {}) }, handler)
  const sockets: TLSSocket[] = []
  const reused: boolean[] = []
  server.on('secureConnection', (s: TLSSocket) => {
    sockets.push(s)
    reused.push(s.isSessionReused())
  })
  const port = await listenLoopback(server, cleanups)
  return { origin: `https://127.0.0.1:${port}`, port, server, sockets, reused }
}

/** A raw TLS server: `onRequest` gets each request head as it arrives and writes whatever bytes it likes. */
async function rawTlsServer(onRequest: (socket: TLSSocket, head: string, n: number) => void): Promise<{ origin: string; sockets: TLSSocket[] }> {
  const sockets: TLSSocket[] = []
  const server = createTlsServer({ key: certs.serverKey, cert: certs.serverCert }, (socket) => {
    sockets.push(socket)
    socket.on('error', () => {})
    let pending = ''
    let n = 0
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1')
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end)
        pending = pending.slice(end + 4)
        onRequest(socket, head, ++n)
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(async () => {
    for (const s of sockets) s.destroy()
    server.close()
    await once(server, 'close')
  })
  return { origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets }
}

const ok = (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
}

describe('TLS: the same pool over tls.connect', () => {
  test('keep-alive: sequential requests share one TLS connection; the CA from the profile is trusted', async () => {
    const s = await httpsServer(ok)
    const pool = newPool(s.origin, { connections: 1 })
    for (let i = 0; i < 3; i++) expect(await get(pool, `/r${i}`)).toMatchObject({ status: 200, text: '{"ok":true}' })
    expect(s.sockets).toHaveLength(1)
  })

  test('fresh: each on a new TLS connection of its own, and a new connection resumes the session instead of a full handshake', async () => {
    const s = await httpsServer(ok)
    const pool = newPool(s.origin, { connections: 4 })
    await get(pool, '/first')
    await get(pool, '/fresh-1', { fresh: true })
    await get(pool, '/fresh-2', { fresh: true })
    expect(s.sockets).toHaveLength(3)
    expect(s.reused).toEqual([false, true, true])
  })

  test('ALPN offers http/1.1 only; SNI carries a host name, never an IP literal; 127.0.0.1 and localhost verify against the IP and DNS SANs', async () => {
    const s = await httpsServer(ok, { alpn: ['h2', 'http/1.1'] })
    await get(newPool(s.origin, { connections: 1 }), '/ip')
    expect(s.sockets[0].alpnProtocol).toBe('http/1.1')
    expect((s.sockets[0] as TLSSocket & { servername?: string | false }).servername).toBeFalsy()
    await get(newPool(`https://localhost:${s.port}`, { connections: 1 }), '/name')
    expect((s.sockets[1] as TLSSocket & { servername?: string }).servername).toBe('localhost')
  })

  test('a response split across reads (head mid-line, then the body in pieces) and a chunked one: the parser path over TLS; the socket is kept', async () => {
    const s = await rawTlsServer((socket, head, n) => {
      const parts =
        n === 1
          ? ['HTTP/1.1 200 OK\r\nContent-Ty', 'pe: text/plain\r\nContent-Length: 11\r\n\r\nhel', 'lo wo', 'rld']
          : ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\u00e4', 'b\r\n0\r\n\r\n']
      void (async () => {
        for (const p of parts) {
          socket.write(Buffer.from(p, 'utf8'))
          await sleep(15)
        }
      })()
      expect(head.startsWith('GET /')).toBe(true)
    })
    const pool = newPool(s.origin, { connections: 1 })
    expect(await get(pool, '/split')).toMatchObject({ status: 200, headers: { 'content-type': 'text/plain' }, text: 'hello world' })
    expect(await get(pool, '/chunked')).toMatchObject({ status: 200, text: 'äb' })
    expect(s.sockets).toHaveLength(1)
  })

  test('the keep-alive race over TLS: a reused connection the server closes as the request arrives is retried once on a new one', async () => {
    const s = await rawTlsServer((socket, _head, n) => {
      if (n === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na')
      else socket.destroy()
    })
    const pool = newPool(s.origin, { connections: 1 })
    expect((await get(pool, '/a')).text).toBe('a')
    // the second socket answers its first request: the retry succeeds
    expect((await get(pool, '/b')).text).toBe('a')
    expect(s.sockets).toHaveLength(2)
  })

  test('headersTimeout after the handshake → HTTP_HEADERS_TIMEOUT; bodyTimeout → HTTP_BODY_TIMEOUT', async () => {
    const s = await rawTlsServer((socket, head) => {
      if (head.startsWith('GET /body')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')
    })
    const pool = newPool(s.origin, { connections: 2 })
    expect((await failure(get(pool, '/head', { headersTimeout: 150 }))).code).toBe('HTTP_HEADERS_TIMEOUT')
    expect((await failure(get(pool, '/body', { bodyTimeout: 150 }))).code).toBe('HTTP_BODY_TIMEOUT')
  })

  test('abort in flight over TLS: rejects at once with the reason; the pool keeps working', async () => {
    const hung: import('node:http').ServerResponse[] = []
    const s = await httpsServer((req, res) => (req.url === '/hang' ? hung.push(res) : ok(req, res)))
    cleanups.push(() => hung.forEach((r) => r.destroy()))
    const pool = newPool(s.origin, { connections: 1 })
    const ac = new AbortController()
    const p = get(pool, '/hang', { signal: ac.signal, headersTimeout: 5_000 })
    await sleep(50)
    ac.abort(new Error('stop'))
    await expect(p).rejects.toThrow('stop')
    expect((await get(pool, '/after')).status).toBe(200)
  })
})

describe('TLS failures: coded, with a hint naming the origin and the CA file', () => {
  test('a server certificate from another CA → HTTP_TLS_UNTRUSTED', async () => {
    const s = await httpsServer(ok)
    const e = await failure(get(newPool(s.origin, { connections: 1, ca: certs.otherCaFile }), '/'))
    expect(e.code).toBe('HTTP_TLS_UNTRUSTED')
    expect(e.message).toContain(s.origin)
    expect(e.hint).toContain(certs.otherCaFile)
    expect(e.hint).toContain(s.origin)
  })

  test('no CA in the profile: the system roots do not know the test CA → HTTP_TLS_UNTRUSTED, the hint says how to name one', async () => {
    const s = await httpsServer(ok)
    const e = await failure(get(newPool(s.origin, { connections: 1, ca: null }), '/'))
    expect(e.code).toBe('HTTP_TLS_UNTRUSTED')
    expect(e.hint).toContain("tls: { ca: '")
  })

  test('a certificate for another name → HTTP_TLS_NAME_MISMATCH', async () => {
    const s = await httpsServer(ok, { key: certs.wrongNameKey, cert: certs.wrongNameCert })
    const e = await failure(get(newPool(s.origin, { connections: 1 }), '/'))
    expect(e.code).toBe('HTTP_TLS_NAME_MISMATCH')
    expect(e.message).toContain(s.origin)
    expect(e.hint).toContain(certs.caFile)
  })

  test('a server that accepts but never completes the handshake → HTTP_TLS_HANDSHAKE_TIMEOUT', async () => {
    const sockets: Socket[] = []
    const server = createNetServer((s) => sockets.push(s.on('error', () => {})))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    cleanups.push(() => {
      sockets.forEach((s) => s.destroy())
      server.close()
    })
    const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
    const e = await failure(get(newPool(origin, { connections: 1 }), '/', { headersTimeout: 150 }))
    expect(e.code).toBe('HTTP_TLS_HANDSHAKE_TIMEOUT')
    expect(e.hint).toContain(origin)
    expect(e.hint).toContain(certs.caFile)
  })

  test('plain http on the port of an https origin → HTTP_TLS_HANDSHAKE', async () => {
    const server = createHttpServer(ok)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    cleanups.push(() => {
      server.closeAllConnections()
      server.close()
    })
    const e = await failure(get(newPool(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 1 }), '/'))
    expect(e.code).toBe('HTTP_TLS_HANDSHAKE')
  })

  test('a CA file that cannot be read, or holds no certificate → ERR_TARGET_TLS when the pool is made, naming the file', () => {
    expect(() => new Http1Pool('https://127.0.0.1:1', { connections: 1, tls: { ca: `${certs.dir}/missing.pem` } })).toThrow(expect.objectContaining({ code: 'ERR_TARGET_TLS', message: expect.stringContaining('missing.pem') }))
    expect(() => new Http1Pool('https://127.0.0.1:1', { connections: 1, tls: { ca: `${certs.dir}/server.key` } })).toThrow(expect.objectContaining({ code: 'ERR_TARGET_TLS', hint: expect.stringContaining('PEM') }))
  })
})

describe('an attempt end to end over TLS', () => {
  const EXPECTED: ExpectedAttribution = { principal: { sub: 'user_1', type: 'user' }, actors: ['client_1'], client_id: 'client_1', tenant: 't_1', tool: 'ticket.read', aud: 'rs' }
  const tool: ToolSpec = { name: 'ticket.read', method: 'GET', path: '/t/{tenant}/tickets/{id}', scope: 'tickets:read', writes: false }

  test('sendAttempt through HttpPools({ tls }): the DPoP proof names the https URL (htu) and verifies with jose', async () => {
    const seen: { url: string; dpop: string; authorization: string }[] = []
    const s = await httpsServer((req, res) => {
      seen.push({ url: req.url ?? '', dpop: String(req.headers.dpop), authorization: String(req.headers.authorization) })
      ok(req, res)
    })
    const rs: ResourceServerInfo = { id: 'rs-tls', audience: s.origin, origin: s.origin, tools: [tool] }
    const pools = new HttpPools(2, { tls: { ca: certs.caFile } })
    cleanups.push(() => pools.close())
    const key = generateIdentityKey()
    const accessToken = 'at.jwt.sig'
    const credential = { accessToken, tokenHash: tokenHash(accessToken), key }
    const { record, proof } = await sendAttempt(pools, { kind: 'legit', scenario: 's', scheduledAt: 1, rs, tool, tenant: 't_1', resourceId: 'T-1', credential, expected: EXPECTED })
    expect(record).toMatchObject({ status: 200, transport_error: null, path: '/t/t_1/tickets/T-1' })
    expect(seen[0].dpop).toBe(proof)
    expect(seen[0].authorization).toBe(`DPoP ${accessToken}`)
    const { payload } = await jwtVerify(proof!, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] })
    expect(payload).toMatchObject({ htm: 'GET', htu: `${s.origin}/t/t_1/tickets/T-1`, ath: credential.tokenHash })
    expect(String(payload.htu).startsWith('https://127.0.0.1:')).toBe(true)
  })

  test('a TLS failure on the hot path is the attempt\'s transport_error, not a throw', async () => {
    const s = await httpsServer(ok)
    const rs: ResourceServerInfo = { id: 'rs-tls', audience: s.origin, origin: s.origin, tools: [tool] }
    const pools = new HttpPools(1, { tls: { ca: certs.otherCaFile } })
    cleanups.push(() => pools.close())
    const { record } = await sendAttempt(pools, { kind: 'legit', scenario: 's', scheduledAt: 1, rs, tool, tenant: 't_1', resourceId: 'T-1', credential: null, expected: EXPECTED })
    expect(record).toMatchObject({ status: null, transport_error: 'HTTP_TLS_UNTRUSTED' })
  })
})

describe('the off-hot-path helper and the evidence source take the same CA', () => {
  test('HttpClient({ tls }) reaches the https server; another CA → ERR_TARGET_TLS naming the origin and the CA file', async () => {
    const s = await httpsServer(ok)
    const good = new HttpClient({ tls: { ca: certs.caFile } })
    const bad = new HttpClient({ tls: { ca: certs.otherCaFile } })
    cleanups.push(() => good.close(), () => bad.close())
    expect(await good.request(`${s.origin}/x`)).toMatchObject({ status: 200, body: { ok: true } })
    const e = await bad.request(`${s.origin}/x`).then(
      () => null,
      (err: unknown) => err as { code: string; message: string; hint: string },
    )
    expect(e).toMatchObject({ code: 'ERR_TARGET_TLS', name: 'TargetTlsFailed' })
    expect(e!.message).toContain(s.origin)
    expect(e!.message).not.toContain('\n    at ')
    expect(e!.hint).toContain(certs.otherCaFile)
  })

  test('a certificate for another name → ERR_TARGET_TLS through the helper too', async () => {
    const s = await httpsServer(ok, { key: certs.wrongNameKey, cert: certs.wrongNameCert })
    const http = new HttpClient({ tls: { ca: certs.caFile } })
    cleanups.push(() => http.close())
    await expect(http.request(`${s.origin}/x`)).rejects.toMatchObject({ code: 'ERR_TARGET_TLS', message: expect.stringContaining('not for this host name') })
  })

  test('an https evidence source reads through the same client', async () => {
    const s = await httpsServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(req.url?.startsWith('/heads') ? '{"heads":{"c":"h"}}' : '{"records":[],"cursor":null}')
    })
    const http = new HttpClient({ tls: { ca: certs.caFile } })
    cleanups.push(() => http.close())
    const source = httpCursorSource(s.origin, http)
    expect(await source.heads!()).toEqual({ c: 'h' })
    await expect(httpCursorSource(s.origin, new HttpClient({ tls: { ca: certs.otherCaFile } })).heads!()).rejects.toMatchObject({ code: 'ERR_EVIDENCE_UNAVAILABLE', hint: expect.stringContaining(certs.otherCaFile) })
  })
})
