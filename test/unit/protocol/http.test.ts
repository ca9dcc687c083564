import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { assertLoopback, httpRequest, isLoopbackAddress } from '../../../harness/protocol/http.ts'
import { closedPort } from '../../helpers/closed-port.ts'

describe('Safety: loopback allowlist (ERR_TARGET_UNSAFE)', () => {
  test.each(['http://10.0.0.1/', 'https://example.com/token', 'http://[::ffff:10.0.0.1]/', 'http://localhost.example/', 'file:///etc/passwd', 'http://169.254.169.254/'])(
    'refuses %s',
    async (url) => {
      await expect(httpRequest(url)).rejects.toMatchObject({ code: 'ERR_TARGET_UNSAFE', name: 'TargetUnsafe' })
      expect(() => assertLoopback(url)).toThrow(expect.objectContaining({ hint: expect.stringContaining('127.0.0.0/8') }))
    },
  )

  test.each(['http://127.0.0.1:8080/x', 'http://127.9.9.9/', 'http://127.1/', 'http://0x7f.0.0.1/', 'http://[::1]:9/', 'http://localhost:3000/', 'http://LOCALHOST/'])(
    'allows %s',
    (url) => {
      expect(() => assertLoopback(url)).not.toThrow()
    },
  )

  test('resolved addresses: 127/8, ::1 and IPv4-mapped loopback only', () => {
    expect(isLoopbackAddress('127.0.0.1')).toBe(true)
    expect(isLoopbackAddress('::1')).toBe(true)
    expect(isLoopbackAddress('::ffff:127.0.0.1')).toBe(true)
    expect(isLoopbackAddress('10.0.0.1')).toBe(false)
    expect(isLoopbackAddress('::ffff:10.0.0.1')).toBe(false)
    expect(isLoopbackAddress('fe80::1')).toBe(false)
  })
})

describe('W3C Trace Context: every call carries traceparent and X-Request-Id', () => {
  const seen: Record<string, string | string[] | undefined>[] = []
  const server = createServer((req, res) => {
    seen.push(req.headers)
    if (req.url === '/hang') return // never answers: the timeout must fire
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ ok: true }))
  })
  let base = ''
  beforeAll(async () => {
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => {
    server.closeAllConnections()
    server.close()
  })

  test('fresh ids per call, returned with the response; localhost dials loopback', async () => {
    const a = await httpRequest(`${base}/a`)
    const b = await httpRequest(`${base.replace('127.0.0.1', 'localhost')}/b`)
    expect(a.status).toBe(200)
    expect(a.body).toEqual({ ok: true })
    expect(seen[0].traceparent).toMatch(new RegExp(`^00-${a.traceId}-[0-9a-f]{16}-01$`))
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(seen[0]['x-request-id']).toBe(a.requestId)
    expect(a.traceId).not.toBe(b.traceId)
    expect(a.requestId).not.toBe(b.requestId)
  })

  test('no answer within the timeout → ERR_TARGET_UNREACHABLE', async () => {
    await expect(httpRequest(`${base}/hang`, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'ERR_TARGET_UNREACHABLE' })
  })

  test('connection refused → ERR_TARGET_UNREACHABLE with a hint', async () => {
    const port = await closedPort()
    await expect(httpRequest(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ code: 'ERR_TARGET_UNREACHABLE', hint: expect.any(String) })
  })
})

describe('Safety: connect-time lookup guard', () => {
  test('localhost resolves to loopback in both lookup forms', async () => {
    const { loopbackOnlyLookup } = await import('../../../harness/protocol/http.ts')
    const single = await new Promise<[unknown, unknown]>((r) => loopbackOnlyLookup('localhost', {}, (e, a) => r([e, a])))
    expect(single[0]).toBeNull()
    expect(isLoopbackAddress(single[1] as string)).toBe(true)
    const all = await new Promise<[unknown, unknown]>((r) => loopbackOnlyLookup('localhost', { all: true }, (e, a) => r([e, a])))
    expect(all[0]).toBeNull()
    expect((all[1] as { address: string }[]).every((a) => isLoopbackAddress(a.address))).toBe(true)
  })
})
