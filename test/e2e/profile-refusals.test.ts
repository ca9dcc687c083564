/**
 * Bad target profiles through the CLI, as a user meets them: an unknown key, a missing issuer, an
 * unset environment variable for the initial access token and a host off this machine without its
 * acknowledgement stop with exit 104 before the deployment the profile describes is started; an
 * unreachable issuer stops with ERR_TARGET_UNREACHABLE. Each prints its code and a hint, never a
 * stack trace.
 */
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, scratchDir, shortScenario, writeScenario } from '../helpers/cli.ts'

/** a profile whose deployment, if it were started, would leave the file `started` in `dir` */
function profile(dir: string, edit: (p: Record<string, unknown>) => void = () => {}): string {
  const p: Record<string, unknown> = {
    name: 'refused',
    issuer: 'http://127.0.0.1:9',
    resources: [{ id: 'tools', audience: 'http://127.0.0.1:9', origin: 'http://127.0.0.1:9', tools: [{ name: 'orders.read', method: 'GET', path: '/t/{tenant}/orders/{id}', scope: 'orders:read' }] }],
    identities: { registration: { initialAccessToken: { env: 'REFUSAL_TEST_IAT' } } },
    evidence: { source: { kind: 'jsonl', file: './audit.jsonl', mapping: { fields: { ts: 'time', decision: 'outcome', status: 'status', component: { const: 'api' } } } } },
    deployment: { processes: [{ name: 'marker', command: ['node', '-e', `require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'started'))}, 'x'); setInterval(() => {}, 1000)`], ready: { url: 'http://127.0.0.1:9/' }, timeout: '2s' }] },
  }
  edit(p)
  return `import { defineTarget } from 'gatecrash'\nexport default defineTarget(${JSON.stringify(p, null, 2)})\n`
}

async function refuse(edit: (p: Record<string, unknown>) => void, env: Record<string, string> = { REFUSAL_TEST_IAT: 'set-for-this-test-0123456789' }) {
  const dir = await scratchDir()
  const file = path.join(dir, 'refused.target.ts')
  await writeFile(file, profile(dir, edit))
  const scenario = await writeScenario(dir, 'scenario.ts', shortScenario())
  const out = path.join(dir, 'runs')
  const r = await runCli(['run', scenario, '--target', file, '--out', out], { outDir: out, env, timeoutMs: 60_000 })
  expect(r.stderr, 'no stack trace').not.toMatch(/^\s+at /m)
  expect(existsSync(path.join(dir, 'started')), 'the deployment was not started').toBe(false)
  return r
}

describe('bad target profiles stop before anything starts, with a code and a hint', () => {
  it('an unknown key → 104 naming the dotted key and the allowed keys', async () => {
    const r = await refuse((p) => ((p.resources as Record<string, unknown>[])[0].scopes = 'x'))
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('ERR_PROFILE_INVALID')
    expect(r.stderr).toContain('`resources.0.scopes` is not a known key')
    expect(r.stderr).toMatch(/id, audience, origin, metadata, tools/)
  })

  it('a missing issuer → 104 at `issuer`', async () => {
    const r = await refuse((p) => delete p.issuer)
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('`issuer` is missing')
  })

  it('the initial access token\'s environment variable unset → 104 naming the variable', async () => {
    const r = await refuse(() => {}, {})
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('REFUSAL_TEST_IAT')
    expect(r.stderr).toContain('not set')
  })

  it('a host off this machine without its acknowledgement → 104 ERR_TARGET_UNSAFE naming the key', async () => {
    const r = await refuse((p) => (p.issuer = 'https://as.staging.example.com'))
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('ERR_TARGET_UNSAFE')
    expect(r.stderr).toContain('`issuer`')
  })

  it('an unreachable issuer (no deployment to start) → ERR_TARGET_UNREACHABLE with a hint', async () => {
    const r = await refuse((p) => delete p.deployment)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/ERR_TARGET_UNREACHABLE/)
    expect(r.stderr).toMatch(/hint/i)
  })
})
