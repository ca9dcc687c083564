/**
 * The preflight's write tools (`gatecrash target check`, issue 12 "Test your own deployment"): it
 * changes nothing it need not, so a write tool is called only with `--call-writes` (once, with a
 * run's arguments) or with a fixture the profile declares on the tool; a write it makes is checked
 * like a read, and its record must be found in the evidence by its trace id like a read's. Each test
 * counts what the deployment's resource server received, not what the check printed.
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { loadProfile } from '../../../harness/profile/load.ts'
import { preflight, type PreflightReport } from '../../../harness/run/preflight.ts'
import { profileTarget } from '../../../targets/profile/adapter.ts'
import { FAKE_IAT, FAKE_IAT_ENV, startFakeDeployment, type FakeDeploymentOptions } from '../../helpers/fake-deployment.ts'
import { cleanupsPerTest } from '../../helpers/listen.ts'
import { makeTestCerts } from '../../helpers/tls-certs.ts'

const cleanups = cleanupsPerTest()
beforeEach(() => {
  process.env[FAKE_IAT_ENV] = FAKE_IAT
})
afterEach(() => {
  delete process.env[FAKE_IAT_ENV]
})

const READ = { name: 'orders.read', method: 'GET', path: '/t/{tenant}/orders/{id}', scope: 'orders:read' }
const REFUND = { name: 'refund.issue', method: 'POST', path: '/t/{tenant}/refunds', scope: 'refunds:write', writes: true, limit: { field: 'amount', max: 500 } }

async function check(opts: FakeDeploymentOptions, callWrites?: boolean) {
  const deployment = await startFakeDeployment(opts, cleanups)
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatecrash-preflight-'))
  const report = await preflight(profileTarget(await loadProfile(deployment.profile)), { dataDir, ...(callWrites === undefined ? {} : { callWrites }) })
  const writes = deployment.received.filter((r) => r.method !== 'GET')
  return { report, received: deployment.received, writes }
}

const checkNamed = (report: PreflightReport, name: string) => report.checks.find((c) => c.name === name)
const evidenceOf = (report: PreflightReport) => report.checks.find((c) => c.name.startsWith('evidence'))

describe('target check and write tools', () => {
  test('without --call-writes or a fixture, the deployment receives no write; the check says how to opt in', async () => {
    const { report, received, writes } = await check({ tools: [READ, REFUND] })
    expect(report.ok).toBe(true)
    expect(writes).toEqual([])
    expect(received.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /t/t_1/orders/orders_00001'])
    const refund = checkNamed(report, 'tool refund.issue')!
    expect(refund.ok).toBe(true)
    expect(refund.detail).toMatch(/^not called: it writes/)
    expect(refund.detail).toContain('--call-writes')
    expect(refund.detail).toContain('preflight: { body')
    expect(evidenceOf(report)).toMatchObject({ ok: true, detail: expect.stringMatching(/^1 of 1 calls found by trace id/) })
  })

  test('with --call-writes, each write tool is called once with a run\'s arguments, within its limit, and its record is joined by trace id', async () => {
    const { report, writes } = await check({ tools: [READ, REFUND] }, true)
    expect(report.ok).toBe(true)
    expect(writes).toHaveLength(1)
    expect(writes[0]).toMatchObject({ method: 'POST', path: '/t/t_1/refunds', body: { ticket_id: 'tickets_00001', amount: expect.any(Number) } })
    expect((writes[0].body as { amount: number }).amount).toBeGreaterThan(0)
    expect((writes[0].body as { amount: number }).amount).toBeLessThanOrEqual(REFUND.limit.max)
    expect(checkNamed(report, 'tool refund.issue')).toMatchObject({ ok: true, detail: "POST /t/t_1/refunds → 200 (--call-writes: a run's arguments)" })
    // the read's record and the write's, each found by the trace id the call carried
    expect(evidenceOf(report)).toMatchObject({ ok: true, detail: expect.stringMatching(/^2 of 2 calls found by trace id/) })
  })

  test('a write tool with a fixture is called without the flag, with the fixture\'s body and id, and only once', async () => {
    const dryRun = { ticket_id: 'preflight-dry-run', amount: 0, dry_run: true, note: { by: 'gatecrash' } }
    const draft = { name: 'draft.delete', method: 'DELETE', path: '/t/{tenant}/drafts/{id}', scope: 'refunds:write', writes: true, preflight: { id: 'preflight-draft' } }
    const { report, writes } = await check({ tools: [READ, { ...REFUND, preflight: { body: dryRun } }, draft] })
    expect(report.ok).toBe(true)
    expect(writes).toEqual([
      { method: 'POST', path: '/t/t_1/refunds', body: dryRun, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) },
      { method: 'DELETE', path: '/t/t_1/drafts/preflight-draft', body: null, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) },
    ])
    expect(checkNamed(report, 'tool refund.issue')!.detail).toBe('POST /t/t_1/refunds → 200 (its preflight fixture)')
    expect(evidenceOf(report)).toMatchObject({ ok: true, detail: expect.stringMatching(/^3 of 3 calls found by trace id/) })
  })

  test('--call-writes with a fixture still sends the fixture: the deployment said which call is safe', async () => {
    const { writes } = await check({ tools: [READ, { ...REFUND, preflight: { body: { ticket_id: 'preflight-dry-run', amount: 0 } } }] }, true)
    expect(writes.map((w) => w.body)).toEqual([{ ticket_id: 'preflight-dry-run', amount: 0 }])
  })

  test('a refused write is ✗ with a hint naming the body it sent, and a run cannot start', async () => {
    const { report, writes } = await check({ tools: [READ, REFUND], writeStatus: 400 }, true)
    expect(writes).toHaveLength(1)
    const refund = checkNamed(report, 'tool refund.issue')!
    expect(refund).toMatchObject({ ok: false, detail: expect.stringContaining('POST /t/t_1/refunds → 400') })
    expect(refund.hint).toContain(JSON.stringify(writes[0].body))
    expect(report.ok).toBe(false)
  })

  test('a write the deployment does not record fails the evidence check: the write\'s trace id is looked for too', async () => {
    const { report, writes } = await check({ tools: [READ, REFUND], writesUnaudited: true }, true)
    expect(writes).toHaveLength(1)
    expect(checkNamed(report, 'tool refund.issue')!.ok).toBe(true)
    expect(evidenceOf(report)).toMatchObject({ ok: false, detail: expect.stringMatching(/^1 of 2 calls found by trace id/) })
    expect(report.ok).toBe(false)
  })
})

describe('target check reaches the deployment the way a run does (its hosts and TLS)', () => {
  test("the profile's CA: a tool served over HTTPS is called and its record joined (docs/architecture.md \"TLS\")", async () => {
    const certs = makeTestCerts()
    cleanups.push(async () => certs.remove())
    const { report, received } = await check({ tools: [READ], https: { key: certs.serverKey, cert: certs.serverCert, caFile: certs.caFile } })
    expect(received.map((r) => r.method)).toEqual(['GET'])
    expect(checkNamed(report, 'tool orders.read')).toMatchObject({ ok: true, detail: expect.stringContaining('→ 200') })
    expect(evidenceOf(report)).toMatchObject({ ok: true })
    expect(report.ok).toBe(true)
  })

  test('a listed host without its acknowledgement: ERR_TARGET_UNSAFE before the target is started', async () => {
    let started = false
    const adapter = { name: 'never', flaws: [], connection: { hosts: [{ host: 'staging.example.internal', acknowledge: '' }] }, start: async () => ((started = true), Promise.reject(new Error('started'))) }
    const dataDir = await mkdtemp(path.join(tmpdir(), 'gatecrash-preflight-'))
    await expect(preflight(adapter as never, { dataDir })).rejects.toMatchObject({ code: 'ERR_TARGET_UNSAFE' })
    expect(started).toBe(false)
  })
})

describe('target check and the issued-token checks', () => {
  test('issue 13 item 2: the check judges its own tokens; a token whose exp lies past expires_in fails issued.lifetime, named by hash', async () => {
    const ok = await check({ tools: [READ] })
    expect(checkNamed(ok.report, 'issued tokens and keys')).toMatchObject({ ok: true, detail: expect.stringContaining('issued.cnf-jkt') })
    const { report } = await check({ tools: [READ], expiresIn: 30 })
    expect(report.ok).toBe(false)
    const issued = checkNamed(report, 'issued tokens and keys')!
    expect(issued).toMatchObject({ ok: false, detail: expect.stringContaining('issued.lifetime') })
    expect(issued.detail).toMatch(/token [A-Za-z0-9_-]{43}: exp is \d+ s past what expires_in \(30 s\) said/)
  })
})
