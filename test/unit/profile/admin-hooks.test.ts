/**
 * A profile's admin hooks: commands and HTTP calls with placeholders; a hook the profile does not
 * declare is ERR_ADMIN_HOOK_MISSING, which leaves the case that needs it not covered.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { adminHooks } from '../../../targets/profile/admin-hooks.ts'

describe('target profile admin hooks', () => {
  test('a command hook gets its placeholders and answers through stdout (JSON or text)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatecrash-hooks-'))
    await writeFile(path.join(dir, 'rotate.mjs'), 'console.log(JSON.stringify({ kid: "k-" + process.argv[2] }))')
    await writeFile(path.join(dir, 'ttl.mjs'), 'if (process.argv[2] !== "agent-1" || process.argv[3] !== "5") process.exit(3)')
    const admin = adminHooks({ rotateSigningKey: { command: ['node', 'rotate.mjs', 'new'] }, setTokenTtl: { command: ['node', 'ttl.mjs', '{client_id}', '{ttl_s}'] } }, dir)!
    expect(await admin.rotateSigningKey()).toEqual({ kid: 'k-new' })
    await admin.setTokenTtl('agent-1', 5)
    await expect(admin.setTokenTtl('agent-2', 5)).rejects.toMatchObject({ code: 'ERR_TARGET_START', message: expect.stringContaining('exited with 3') })
  })

  test('an HTTP hook sends its method, URL and body with placeholders, and a header from the environment', async () => {
    process.env.GATECRASH_TEST_ADMIN = 'admin-secret'
    const seen: { method?: string; url?: string; auth?: string; body?: string }[] = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d)).on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body })
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: 2 }))
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const admin = adminHooks({ sideEffectCount: { http: { method: 'POST', url: `${base}/probe/{trace_id}`, headers: { authorization: { env: 'GATECRASH_TEST_ADMIN' } }, body: { trace: '{trace_id}' } } } }, '.')!
      expect(await admin.refundCount('abc123')).toBe(2)
      expect(seen).toEqual([{ method: 'POST', url: '/probe/abc123', auth: 'admin-secret', body: '{"trace":"abc123"}' }])
    } finally {
      server.close()
      delete process.env.GATECRASH_TEST_ADMIN
    }
  })

  test('a hook the profile does not declare → ERR_ADMIN_HOOK_MISSING with a hint; no hook at all → no admin', async () => {
    const admin = adminHooks({ rotateSigningKey: { command: ['true'] } }, '.')!
    await expect(admin.retireSigningKey('k1')).rejects.toMatchObject({ code: 'ERR_ADMIN_HOOK_MISSING', hint: expect.stringContaining('admin.retireSigningKey') })
    expect(adminHooks(undefined, '.')).toBeUndefined()
    expect(adminHooks({}, '.')).toBeUndefined()
  })
})
