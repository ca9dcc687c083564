import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ExpectedAttribution } from '../../../harness/contracts/attempt.ts'
import { Http1Pool } from '../../../harness/load/http1-pool.ts'
import { HttpPools } from '../../../harness/load/http-pool.ts'
import { sendAttempt, sendRequest, toolPath } from '../../../harness/load/send-attempt.ts'
import type { AttemptMeta } from '../../../harness/contracts/wire.ts'
import { newTraceContext } from '../../../harness/load/trace.ts'
import { generateIdentityKey } from '../../../harness/protocol/identity-key.ts'
import { encodeSegment } from '../../../harness/protocol/jws.ts'
import { tokenHash } from '../../../harness/protocol/token-hash.ts'
import type { ResourceServerInfo, ToolSpec } from '../../../harness/contracts/target.ts'
import { closedPort } from '../../helpers/closed-port.ts'

const EXPECTED: ExpectedAttribution = { principal: { sub: 'user_1', type: 'user' }, actors: ['client_1'], client_id: 'client_1', tenant: 't_1', tool: 'ticket.read', aud: 'rs' }
const META: AttemptMeta = { kind: 'legit', scenario: 's', scheduledAt: 1, tool: 'ticket.read', expected: EXPECTED, tokenHash: null }
const ISSUED_TOKEN = `${encodeSegment({ alg: 'ES256' })}.${encodeSegment({ scope: 'tickets:read customers:read', aud: ['rs-1', 'rs-2'] })}.sig`
const BOM = Buffer.from([0xef, 0xbb, 0xbf])

/** What the server saw of each request: raw header list in arrival order, body. */
const seen: { url: string; method: string; rawHeaders: string[]; body: string }[] = []
let hung: ServerResponse[] = []

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  seen.push({ url: req.url ?? '', method: req.method ?? '', rawHeaders: req.rawHeaders, body })
  switch (req.url) {
    case '/ok':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
      return
    case '/text':
      res.writeHead(200, { 'content-type': 'text/plain' }).end('plain')
      return
    case '/dpop-401':
      res.writeHead(401, { 'www-authenticate': 'DPoP error="invalid_dpop_proof", algs="ES256"', 'content-type': 'application/json' }).end('{"error":"other"}')
      return
    case '/bearer-second':
      res.writeHead(403, { 'www-authenticate': 'DPoP algs="ES256", Bearer error="insufficient_scope"' }).end()
      return
    case '/json-400':
      // the error code only in the JSON body (RFC 6749 §5.2), chunked in two writes
      res.writeHead(400, { 'content-type': 'application/json;charset=UTF-8' })
      res.write('{"error":"invalid_')
      res.end('grant"}')
      return
    case '/bom-400':
      res.writeHead(400, { 'content-type': 'application/json' }).end(Buffer.concat([BOM, Buffer.from('{"error":"invalid_scope"}')]))
      return
    case '/token':
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: ISSUED_TOKEN, token_type: 'DPoP', scope: 'tickets:read' }))
      return
    case '/escaped-token':
      // the member name escaped: JSON.parse still sees access_token
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"\\u0061ccess_token":"${ISSUED_TOKEN}"}`)
      return
    case '/early-hints':
      res.writeEarlyHints({ link: '</x>; rel=preload' })
      res.writeHead(204).end()
      return
    case '/hang':
      hung.push(res)
      return
    default:
      res.writeHead(404).end()
  }
}

const server = createServer((req, res) => {
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (c: string) => (body += c))
  req.on('end', () => route(req, res, body))
})
let origin = ''
let pools: HttpPools

beforeAll(async () => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  pools = new HttpPools(4)
})

afterAll(async () => {
  for (const r of hung) r.destroy()
  hung = []
  server.closeAllConnections()
  server.close()
  await pools.close()
})

function lastSeen(url: string) {
  const s = seen.filter((x) => x.url === url).at(-1)
  if (!s) throw new Error(`the server saw no ${url}`)
  return s
}

function rawPairs(raw: string[]): [string, string][] {
  const out: [string, string][] = []
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]])
  return out
}

describe('sendRequest on the hot-path pool', () => {
  test('200: status, trace headers first, then the given headers in order, repeated names kept', async () => {
    const { record, json } = await sendRequest(
      pools,
      { origin, method: 'GET', path: '/ok', headers: [['authorization', 'DPoP tok'], ['dpop', 'proof-one'], ['dpop', 'proof-two'], ['x-extra', 'v']] },
      META,
    )
    expect(record).toMatchObject({ status: 200, error_code: null, challenge_scheme: null, transport_error: null, method: 'GET', path: '/ok', kind: 'legit', scenario: 's', token_hash: null })
    expect(json).toEqual({ ok: true })
    expect(record.issued).toBeUndefined()
    expect(record.ended_at).toBeGreaterThanOrEqual(record.started_at)
    const pairs = rawPairs(lastSeen('/ok').rawHeaders).filter(([k]) => !['host', 'connection'].includes(k))
    expect(pairs).toEqual([
      ['traceparent', `00-${record.trace_id}-${pairs[0][1].slice(36, 52)}-01`],
      ['x-request-id', record.request_id],
      ['authorization', 'DPoP tok'],
      ['dpop', 'proof-one'],
      ['dpop', 'proof-two'],
      ['x-extra', 'v'],
    ])
    expect(pairs[0][1]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
  })

  test('record members keep their order (the attempt log is JSON)', async () => {
    const legit = (await sendRequest(pools, { origin, method: 'GET', path: '/ok' }, META)).record
    expect(Object.keys(legit)).toEqual(['seq', 'trace_id', 'request_id', 'kind', 'scenario', 'scheduled_at', 'started_at', 'ended_at', 'method', 'path', 'tool', 'expected', 'status', 'error_code', 'challenge_scheme', 'transport_error', 'token_hash'])
    const ceiling = { scope: ['tickets:read'], aud: 'rs' }
    const attack = (await sendRequest(pools, { origin, method: 'GET', path: '/token' }, { ...META, kind: 'attack', caseId: 'c1', group: 'g1', ceiling })).record
    expect(Object.keys(attack)).toEqual(['seq', 'trace_id', 'request_id', 'kind', 'case', 'group', 'scenario', 'scheduled_at', 'started_at', 'ended_at', 'method', 'path', 'tool', 'expected', 'status', 'error_code', 'challenge_scheme', 'transport_error', 'token_hash', 'ceiling', 'issued'])
    expect(attack).toMatchObject({ case: 'c1', group: 'g1', ceiling })
  })

  test('POST body and content-type go out as given', async () => {
    const { record } = await sendRequest(pools, { origin, method: 'POST', path: '/ok', headers: [['content-type', 'application/json']], body: '{"a":1}' }, META)
    expect(record.status).toBe(200)
    const s = lastSeen('/ok')
    expect(s.method).toBe('POST')
    expect(s.body).toBe('{"a":1}')
  })

  test('401 with a DPoP challenge: the challenge error wins over the body', async () => {
    const { record } = await sendRequest(pools, { origin, method: 'GET', path: '/dpop-401' }, META)
    expect(record).toMatchObject({ status: 401, error_code: 'invalid_dpop_proof', challenge_scheme: 'DPoP', transport_error: null })
  })

  test('403: the first challenge with an error, on the second scheme', async () => {
    const { record } = await sendRequest(pools, { origin, method: 'GET', path: '/bearer-second' }, META)
    expect(record).toMatchObject({ status: 403, error_code: 'insufficient_scope', challenge_scheme: 'DPoP' })
  })

  test('400: the error code from a JSON body sent in chunks; a leading BOM is dropped as undici text() does', async () => {
    expect((await sendRequest(pools, { origin, method: 'POST', path: '/json-400', body: 'x' }, META)).record).toMatchObject({ status: 400, error_code: 'invalid_grant', challenge_scheme: null })
    const bom = await sendRequest(pools, { origin, method: 'GET', path: '/bom-400' }, META)
    expect(bom.record).toMatchObject({ status: 400, error_code: 'invalid_scope' })
    expect(bom.json).toEqual({ error: 'invalid_scope' })
  })

  test('404 without a body: no error code', async () => {
    expect((await sendRequest(pools, { origin, method: 'GET', path: '/nope' }, META)).record).toMatchObject({ status: 404, error_code: null, challenge_scheme: null })
  })

  test('JSON token response: parsed and returned, issued scope and audience recorded', async () => {
    const { record, json } = await sendRequest(pools, { origin, method: 'POST', path: '/token', body: 'grant_type=x' }, META)
    expect(record.status).toBe(200)
    expect(record.issued).toEqual({ scope: ['tickets:read'], aud: 'rs-1 rs-2', scope_stated: true })
    expect((json as { access_token: string }).access_token).toBe(ISSUED_TOKEN)
    // the member name escaped in JSON is still the same member; that response has no scope member,
    // so the scope is the token's claim and the record says the response did not state it
    expect((await sendRequest(pools, { origin, method: 'GET', path: '/escaped-token' }, META)).record.issued).toEqual({ scope: ['tickets:read', 'customers:read'], aud: 'rs-1 rs-2', scope_stated: false })
  })

  test('a non-JSON 200 body is not returned as json', async () => {
    const { record, json } = await sendRequest(pools, { origin, method: 'GET', path: '/text' }, META)
    expect(record.status).toBe(200)
    expect(json).toBeNull()
  })

  test('an informational 103 is skipped; the final status is recorded', async () => {
    expect((await sendRequest(pools, { origin, method: 'GET', path: '/early-hints' }, META)).record).toMatchObject({ status: 204, transport_error: null })
  })

  test('abort in flight: transport_error "aborted", settled at once', async () => {
    const ctl = new AbortController()
    const p = sendRequest(pools, { origin, method: 'GET', path: '/hang' }, { ...META, signal: ctl.signal })
    await waitFor(() => seen.some((s) => s.url === '/hang'))
    ctl.abort()
    const { record } = await p
    expect(record).toMatchObject({ status: null, transport_error: 'aborted' })
  })

  test('abort before sending: "aborted", nothing reaches the server', async () => {
    const before = seen.length
    const { record } = await sendRequest(pools, { origin, method: 'GET', path: '/ok' }, { ...META, signal: AbortSignal.abort() })
    expect(record).toMatchObject({ status: null, transport_error: 'aborted' })
    expect(seen.length).toBe(before)
  })

  test('abort while queued behind a busy connection: "aborted" at once, never sent', async () => {
    for (const r of hung) r.destroy()
    hung = []
    const pool = new Http1Pool(origin, { connections: 1 })
    const first = pool.request({ method: 'GET', path: '/hang', headers: [], wantBody: () => true }).catch((e: Error) => e)
    await waitFor(() => hung.length > 0)
    const ctl = new AbortController()
    const queued = pool.request({ method: 'GET', path: '/ok?queued', headers: [], signal: ctl.signal, wantBody: () => true })
    ctl.abort()
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' })
    for (const r of hung) r.writeHead(200).end('late')
    hung = []
    expect(await first).toMatchObject({ status: 200, text: 'late' })
    await pool.close()
    expect(seen.some((s) => s.url === '/ok?queued')).toBe(false)
  })

  test('a refused connection: transport_error ECONNREFUSED', async () => {
    const port = await closedPort()
    const local = new HttpPools(1)
    const { record } = await sendRequest(local, { origin: `http://127.0.0.1:${port}`, method: 'GET', path: '/' }, META)
    await local.close()
    expect(record).toMatchObject({ status: null, transport_error: 'ECONNREFUSED' })
  })

  test('an invalid header value is a transport error, not a throw', async () => {
    const { record } = await sendRequest(pools, { origin, method: 'GET', path: '/ok', headers: [['x-bad', 'a\r\nb']] }, META)
    expect(record.status).toBeNull()
    expect(record.transport_error).toBe('HTTP_INVALID_HEADER')
  })

  test('only loopback origins', () => {
    expect(() => pools.get('http://10.0.0.1:80')).toThrow(expect.objectContaining({ code: 'ERR_TARGET_UNSAFE' }))
  })
})

describe('sendAttempt', () => {
  const tool: ToolSpec = { name: 'ticket.read', method: 'GET', path: '/t/{tenant}/tickets/{id}', scope: 'tickets:read', writes: false }
  let rs: ResourceServerInfo
  beforeAll(() => {
    rs = { id: 'rs', audience: origin, origin, tools: [tool] }
  })

  test('toolPath encodes the tenant and id', () => {
    expect(toolPath(tool, 't 1/x', 'T$&1')).toBe('/t/t%201%2Fx/tickets/T%24%261')
    expect(toolPath({ ...tool, path: '/x/{id}/{tenant}' }, 'a', 'b')).toBe('/x/b/a')
    expect(toolPath({ ...tool, path: '/x' }, 'a')).toBe('/x')
  })

  test('a proof handed in is checked: one with CR LF is refused (HTTP_INVALID_HEADER) and nothing is sent', async () => {
    const key = generateIdentityKey()
    const credential = { accessToken: 'at.jwt.sig', tokenHash: tokenHash('at.jwt.sig'), key }
    const { record } = await sendAttempt(pools, { kind: 'attack', caseId: 'x', scenario: 's', scheduledAt: 1, rs, tool, tenant: 't_1', resourceId: 'T-CRLF', credential, proof: 'a.b.c\r\nx-injected: 1', expected: EXPECTED })
    expect(record).toMatchObject({ status: null, transport_error: 'HTTP_INVALID_HEADER' })
    expect(seen.some((r) => r.url === '/t/t_1/tickets/T-CRLF')).toBe(false)
  })

  test('a key of another kind (its header not known to be base64url): its fresh proof is checked too', async () => {
    const real = generateIdentityKey()
    // an IdentityKey that is not the harness's own: a header with CR LF would break the request
    const odd = { get privateKey() { return real.privateKey }, publicJwk: real.publicJwk, jkt: real.jkt, kid: real.kid, dpopHeaderB64: `${real.dpopHeaderB64}\r\nx-injected: 1` }
    const credential = { accessToken: 'at.jwt.sig', tokenHash: tokenHash('at.jwt.sig'), key: odd }
    const { record } = await sendAttempt(pools, { kind: 'legit', scenario: 's', scheduledAt: 1, rs, tool, tenant: 't_1', resourceId: 'T-ODD', credential, expected: EXPECTED })
    expect(record).toMatchObject({ status: null, transport_error: 'HTTP_INVALID_HEADER' })
    expect(seen.some((r) => r.url === '/t/t_1/tickets/T-ODD')).toBe(false)
  })

  test('a fresh proof goes out with the trace headers, then Authorization; a replayed proof goes out as given, after it', async () => {
    const key = generateIdentityKey()
    const accessToken = 'at.jwt.sig'
    const credential = { accessToken, tokenHash: tokenHash(accessToken), key }
    const sent = await sendAttempt(pools, { kind: 'legit', scenario: 's', scheduledAt: 1, rs, tool, tenant: 't_1', resourceId: 'T-1', credential, expected: EXPECTED })
    expect(sent.record).toMatchObject({ status: 404, path: '/t/t_1/tickets/T-1', token_hash: credential.tokenHash, tool: 'ticket.read' })
    expect(sent.proof).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    let pairs = rawPairs(lastSeen('/t/t_1/tickets/T-1').rawHeaders).filter(([k]) => !['host', 'connection'].includes(k))
    // the harness's own values (trace ids, its fresh proof) first, unchecked by the pool; then the checked ones
    expect(pairs.map(([k]) => k)).toEqual(['traceparent', 'x-request-id', 'dpop', 'authorization'])
    expect(pairs[3][1]).toBe(`DPoP ${accessToken}`)
    expect(pairs[2][1]).toBe(sent.proof)

    const replay = await sendAttempt(pools, { kind: 'attack', caseId: 'replay', scenario: 's', scheduledAt: 1, rs, tool, tenant: 't_1', resourceId: 'T-2', credential, proof: sent.proof!, body: { a: 1 }, expected: EXPECTED })
    expect(replay.proof).toBe(sent.proof)
    expect(replay.record.case).toBe('replay')
    const s = lastSeen('/t/t_1/tickets/T-2')
    pairs = rawPairs(s.rawHeaders).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))
    expect(pairs.map(([k]) => k)).toEqual(['traceparent', 'x-request-id', 'authorization', 'dpop', 'content-type'])
    expect(pairs[3][1]).toBe(sent.proof)
    expect(s.body).toBe('{"a":1}')
  })

  test('no credential: no Authorization, no DPoP; a token-bearing JSON response is still read for issued', async () => {
    const sent = await sendAttempt(pools, { kind: 'attack', scenario: 's', scheduledAt: 1, rs, tool: { ...tool, path: '/token' }, tenant: 't_1', credential: null, expected: EXPECTED })
    expect(sent.proof).toBeNull()
    expect(sent.record).toMatchObject({ status: 200, token_hash: null, issued: { scope: ['tickets:read'], aud: 'rs-1 rs-2' } })
    const names = rawPairs(lastSeen('/token').rawHeaders).map(([k]) => k)
    expect(names).not.toContain('authorization')
    expect(names).not.toContain('dpop')
  })
})

describe('trace context', () => {
  test('W3C shapes, fresh per call', () => {
    const seenIds = new Set<string>()
    const seenRequestIds = new Set<string>()
    // 2,000 calls cross several refills of the shared random pool
    for (let i = 0; i < 2000; i++) {
      const t = newTraceContext()
      expect(t.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      expect(t.traceparent.slice(3, 35)).toBe(t.traceId)
      // RFC 9562 §5.4: version 4, variant 10
      expect(t.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      seenRequestIds.add(t.requestId)
      seenIds.add(t.traceId)
    }
    expect(seenIds.size).toBe(2000)
    expect(seenRequestIds.size).toBe(2000)
  })
})

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}
