/**
 * `gatecrash target check <profile>` through the CLI, against a deployment in miniature
 * (test/helpers/fake-deployment.ts) served by this test process: without `--call-writes` the
 * deployment receives no write and the output says how to opt in; with it (and `--json`) the write
 * tool is called once and the JSON report says so; `--help` lists the flags a mistyped one is pointed to.
 */
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.ts'
import { FAKE_IAT, FAKE_IAT_ENV, startFakeDeployment } from '../helpers/fake-deployment.ts'
import { cleanupsPerTest } from '../helpers/listen.ts'

const cleanups = cleanupsPerTest()
const TOOLS = [
  { name: 'orders.read', method: 'GET', path: '/t/{tenant}/orders/{id}', scope: 'orders:read' },
  { name: 'refund.issue', method: 'POST', path: '/t/{tenant}/refunds', scope: 'refunds:write', writes: true, limit: { field: 'amount', max: 500 } },
]
const env = { [FAKE_IAT_ENV]: FAKE_IAT }

describe('gatecrash target check: write tools', () => {
  it('without --call-writes: exit 0, no write reached the deployment, and the output names both ways to opt in', async () => {
    const deployment = await startFakeDeployment({ tools: TOOLS }, cleanups)
    const r = await runCli(['target', 'check', deployment.profile], { env, timeoutMs: 60_000 })
    expect(r.code, r.stderr.slice(-2000)).toBe(0)
    expect(deployment.received.map((q) => q.method)).toEqual(['GET'])
    expect(r.stdout).toMatch(/✓ tool refund\.issue: not called: it writes.*--call-writes.*preflight: \{ body/)
  })

  it('--call-writes --json: the write tool is called once, and the JSON report shows its call and the evidence of both calls', async () => {
    const deployment = await startFakeDeployment({ tools: TOOLS }, cleanups)
    const r = await runCli(['target', 'check', deployment.profile, '--call-writes', '--json'], { env, timeoutMs: 60_000 })
    expect(r.code, r.stderr.slice(-2000)).toBe(0)
    expect(deployment.received.filter((q) => q.method === 'POST').map((q) => q.path)).toEqual(['/t/t_1/refunds'])
    const report = JSON.parse(r.stdout)
    expect(report.ok).toBe(true)
    expect(report.checks).toContainEqual({ name: 'tool refund.issue', ok: true, detail: "POST /t/t_1/refunds → 200 (--call-writes: a run's arguments)" })
    expect(report.checks.find((c: { name: string }) => c.name.startsWith('evidence'))).toMatchObject({ ok: true, detail: expect.stringMatching(/^2 of 2 calls/) })
  })

  it('a mistyped flag: exit 104 with a hint to --help, which lists target check with --json and --call-writes', async () => {
    const r = await runCli(['target', 'check', 'reference', '--call-write'], { timeoutMs: 30_000 })
    expect(r.code).toBe(104)
    expect(r.stderr).toContain("Unknown option '--call-write'")
    expect(r.stderr).toContain("hint: see gatecrash --help for the flags of 'target check'")
    const help = await runCli(['--help'], { timeoutMs: 30_000 })
    expect(help.stdout).toMatch(/gatecrash target check \S+ \[--json\] \[--call-writes\]/)
  })
})
