/**
 * The host allowlist (harness/protocol/host-policy.ts, docs/architecture.md "Safety"). Loopback
 * only: nothing here ever connects to a non-loopback address. Names that would resolve elsewhere
 * are made with a stub resolver, so the refusal paths run without a packet leaving the machine,
 * and wherever a test could follow a redirect the stub would refuse that name too.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { LookupAddress } from 'node:dns'
import { describe, expect, test } from 'vitest'
import { exitCodeForError } from '../../../cli/exit-codes.ts'
import { httpCursorSource } from '../../../harness/evidence/http-cursor-source.ts'
import { HttpPools } from '../../../harness/load/http-pool.ts'
import { acknowledgementFor, addressClass, HostPolicy, type Resolver } from '../../../harness/protocol/host-policy.ts'
import { HttpClient, httpRequest } from '../../../harness/protocol/http.ts'
import { discover, tokenEndpointRequest } from '../../../harness/protocol/oauth-client.ts'
import { generateIdentityKey } from '../../../harness/protocol/identity-key.ts'
import { cleanupsPerTest, listenLoopback } from '../../helpers/listen.ts'

const STAGING = 'staging.example.internal'
const ACK = acknowledgementFor(STAGING)

/** A resolver that knows a few names; every call is recorded. Never asks DNS. */
function stubResolver(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = []
  const resolve = ((hostname: string, _options: unknown, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => {
    calls.push(hostname)
    const addresses = table[hostname]
    if (addresses === undefined) {
      const e = new Error(`getaddrinfo ENOTFOUND ${hostname}`) as NodeJS.ErrnoException
      e.code = 'ENOTFOUND'
      return queueMicrotask(() => callback(e, []))
    }
    queueMicrotask(() => callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))))
  }) as Resolver & { calls: string[] }
  resolve.calls = calls
  return resolve
}

function lookup(policy: HostPolicy, name: string, all = false): Promise<{ err: NodeJS.ErrnoException | null; address: unknown }> {
  return new Promise((resolve) => policy.lookup(name, all ? { all: true } : {}, (err, address) => resolve({ err, address })))
}

const cleanups = cleanupsPerTest()

async function loopbackServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = []
  const server = createServer((req, res) => {
    hits.push(req.url ?? '')
    handler(req, res)
  })
  return { server, port: await listenLoopback(server, cleanups), hits }
}

describe('address classes', () => {
  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd00::1', 'private'],
    ['203.0.113.7', 'public'],
    ['2001:db8::1', 'public'],
    ['169.254.169.254', 'forbidden'],
    ['0.0.0.0', 'forbidden'],
    ['224.0.0.1', 'forbidden'],
    ['255.255.255.255', 'forbidden'],
    ['fe80::1', 'forbidden'],
    ['ff02::1', 'forbidden'],
    ['::', 'forbidden'],
    ['::ffff:a9fe:a9fe', 'forbidden'],
    ['not-an-ip', 'forbidden'],
  ])('%s is %s', (address, cls) => {
    expect(addressClass(address)).toBe(cls)
  })
})

describe('the default policy is loopback only, as before', () => {
  test.each(['http://10.0.0.1/', `https://${STAGING}/token`, 'http://[::ffff:10.0.0.1]/', 'http://localhost.example/', 'file:///etc/passwd', 'http://169.254.169.254/'])('refuses %s (ERR_TARGET_UNSAFE, exit 104, a hint saying how to acknowledge a host)', async (url) => {
    const e = (() => {
      try {
        HostPolicy.LOOPBACK.checkUrl(url)
      } catch (err) {
        return err as { code: string; hint: string }
      }
      return null
    })()
    expect(e).toMatchObject({ code: 'ERR_TARGET_UNSAFE', name: 'TargetUnsafe' })
    expect(e!.hint).toContain('acknowledge')
    expect(exitCodeForError(e)).toBe(104)
    await expect(httpRequest(url)).rejects.toMatchObject({ code: 'ERR_TARGET_UNSAFE' })
  })

  test('a name other than localhost is refused at connect time without being resolved', async () => {
    const resolve = stubResolver({ [STAGING]: ['10.0.0.5'] })
    const policy = HostPolicy.fromProfile([], { resolve })
    expect((await lookup(policy, STAGING)).err).toMatchObject({ code: 'ERR_TARGET_UNSAFE' })
    expect(resolve.calls).toEqual([])
  })
})

describe('a target profile lists a host with its acknowledgement', () => {
  test('the acknowledgement is a sentence naming the host', () => {
    expect(ACK).toBe(`I own ${STAGING} and may load-test it`)
  })

  test.each([
    ['missing', { host: STAGING }],
    ['empty', { host: STAGING, acknowledge: '' }],
    ['blank', { host: STAGING, acknowledge: '   ' }],
    ["another host's", { host: STAGING, acknowledge: acknowledgementFor('prod.example.internal') }],
    ['paraphrased', { host: STAGING, acknowledge: 'yes I own it' }],
  ])('%s acknowledgement → refused, the hint quotes the entry to write', (_what, entry) => {
    expect(() => HostPolicy.fromProfile([entry as never])).toThrow(expect.objectContaining({ code: 'ERR_TARGET_UNSAFE', hint: expect.stringContaining(`acknowledge: '${ACK}'`) }))
  })

  test('an address that is never a target, even listed, is refused; a literal of another class than the entry allows too', () => {
    expect(() => HostPolicy.fromProfile([{ host: '169.254.169.254', acknowledge: acknowledgementFor('169.254.169.254') }])).toThrow(expect.objectContaining({ code: 'ERR_TARGET_UNSAFE' }))
    expect(() => HostPolicy.fromProfile([{ host: '203.0.113.7', acknowledge: acknowledgementFor('203.0.113.7') }])).toThrow(expect.objectContaining({ hint: expect.stringContaining("network: 'public'") }))
    expect(HostPolicy.fromProfile([{ host: '203.0.113.7', acknowledge: acknowledgementFor('203.0.113.7'), network: 'public' }]).hosts).toEqual(['203.0.113.7'])
  })

  test('listed: its URLs pass by name (any port, any case); unlisted hosts are still refused', () => {
    const policy = HostPolicy.fromProfile([{ host: STAGING, acknowledge: ACK }])
    expect(policy.checkUrl(`https://${STAGING.toUpperCase()}:8443/token`).hostname).toBe(STAGING)
    expect(() => policy.checkUrl('https://prod.example.internal/')).toThrow(expect.objectContaining({ code: 'ERR_TARGET_UNSAFE' }))
    expect(policy.checkUrl('http://127.0.0.1:9/').hostname).toBe('127.0.0.1')
  })

  test('connect time: a listed name must resolve to its class (private by default) or loopback; one address outside refuses the name', async () => {
    const resolve = stubResolver({ [STAGING]: ['10.0.0.5', 'fd00::5'], 'public.example.internal': ['203.0.113.7'], 'mixed.example.internal': ['10.0.0.6', '203.0.113.8'], 'meta.example.internal': ['169.254.169.254'] })
    const entries = [STAGING, 'public.example.internal', 'mixed.example.internal', 'meta.example.internal'].map((host) => ({ host, acknowledge: acknowledgementFor(host) }))
    const policy = HostPolicy.fromProfile(entries, { resolve })
    expect(await lookup(policy, STAGING)).toEqual({ err: null, address: '10.0.0.5' })
    expect((await lookup(policy, STAGING, true)).address).toEqual([{ address: '10.0.0.5', family: 4 }, { address: 'fd00::5', family: 6 }])
    const pub = await lookup(policy, 'public.example.internal')
    expect(pub.err).toMatchObject({ code: 'ERR_TARGET_UNSAFE', message: expect.stringContaining('public address 203.0.113.7'), hint: expect.stringContaining("network: 'public'") })
    expect((await lookup(policy, 'mixed.example.internal')).err).toMatchObject({ code: 'ERR_TARGET_UNSAFE' })
    expect((await lookup(policy, 'meta.example.internal')).err).toMatchObject({ code: 'ERR_TARGET_UNSAFE', message: expect.stringContaining('169.254.169.254') })
  })

  test('connect time: localhost that resolves elsewhere is refused', async () => {
    const policy = HostPolicy.fromProfile([{ host: STAGING, acknowledge: ACK }], { resolve: stubResolver({ localhost: ['10.9.9.9'] }) })
    expect((await lookup(policy, 'localhost')).err).toMatchObject({ code: 'ERR_TARGET_UNSAFE', hint: expect.stringContaining('loopback') })
  })
})

describe('every way gatecrash connects goes through the policy: refused without connecting', () => {
  // `localhost` → a private address, and a listed name → a public one: a connection would leave the
  // machine, so the lookup must refuse before any socket connects (the stub resolves nothing real).
  const resolve = stubResolver({ localhost: ['10.9.9.9'], [STAGING]: ['203.0.113.7'] })
  const policy = HostPolicy.fromProfile([{ host: STAGING, acknowledge: ACK }], { resolve })

  test.each(['http://localhost:9/x', `http://${STAGING}:9/x`, `https://${STAGING}:9/x`])('load pool: %s → the attempt fails with ERR_TARGET_UNSAFE', async (url) => {
    const pools = new HttpPools(1, { hosts: policy })
    cleanups.push(() => pools.close())
    const u = new URL(url)
    await expect(pools.get(u.origin).request({ method: 'GET', path: u.pathname, headers: [], wantBody: () => true, headersTimeout: 2_000 })).rejects.toMatchObject({ code: 'ERR_TARGET_UNSAFE' })
  })

  test.each(['http://localhost:9/x', `http://${STAGING}:9/x`])('helper (OAuth client, admin hooks): %s → ERR_TARGET_UNSAFE', async (url) => {
    const http = new HttpClient({ hosts: policy })
    cleanups.push(() => http.close())
    await expect(http.request(url, { timeoutMs: 2_000 })).rejects.toMatchObject({ code: 'ERR_TARGET_UNSAFE' })
  })

  test('evidence source: ERR_EVIDENCE_UNAVAILABLE carrying the refusal and its hint', async () => {
    const http = new HttpClient({ hosts: policy })
    cleanups.push(() => http.close())
    await expect(httpCursorSource(`http://${STAGING}:9`, http).heads!()).rejects.toMatchObject({ code: 'ERR_EVIDENCE_UNAVAILABLE', message: expect.stringContaining('203.0.113.7') })
    expect(() => httpCursorSource('http://prod.example.internal:9', http)).toThrow(expect.objectContaining({ code: 'ERR_TARGET_UNSAFE' }))
  })
})

describe('redirects are never followed, and URLs a target hands over are checked when called', () => {
  // If anything did follow, the stub would refuse the name anyway: nothing can leave the machine.
  const policy = HostPolicy.fromProfile([], { resolve: stubResolver({}) })

  test('a 302 to a host not listed comes back as the response, from the helper and from the load pool', async () => {
    const s = await loopbackServer((_req, res) => res.writeHead(302, { location: 'http://not-listed.example.internal/steal' }).end())
    const http = new HttpClient({ hosts: policy })
    const pools = new HttpPools(1, { hosts: policy })
    cleanups.push(() => http.close(), () => pools.close())
    const res = await http.request(`http://127.0.0.1:${s.port}/start`)
    expect(res.status).toBe(302)
    const wire = await pools.get(`http://127.0.0.1:${s.port}`).request({ method: 'GET', path: '/start', headers: [], wantBody: () => false })
    expect(wire.status).toBe(302)
    expect(s.hits).toEqual(['/start', '/start'])
  })

  test('discovery metadata whose token endpoint is on a host not listed: the token request is refused, nothing sent', async () => {
    let issuer = ''
    const s = await loopbackServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, token_endpoint: 'https://evil.example.internal/token', registration_endpoint: `${issuer}/register` }))
    })
    issuer = `http://127.0.0.1:${s.port}`
    const http = new HttpClient({ hosts: policy })
    cleanups.push(() => http.close())
    const meta = await discover(issuer, http)
    const key = generateIdentityKey()
    await expect(tokenEndpointRequest(meta, { clientId: 'c1', key }, { grant_type: 'client_credentials' })).rejects.toMatchObject({ code: 'ERR_TARGET_UNSAFE', message: expect.stringContaining('evil.example.internal') })
    expect(s.hits).toEqual(['/.well-known/oauth-authorization-server'])
  })
})
