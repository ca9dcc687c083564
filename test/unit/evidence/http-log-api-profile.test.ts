/**
 * A log API source declared in a target profile: what the profile check refuses before anything is
 * started (a cursor parameter the Link header makes meaningless, a body cursor without a records path,
 * a mapping without the API's id, a host the profile does not allow), each at its dotted key.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { loadProfile } from '../../../harness/profile/load.ts'

const SOURCE = {
  kind: 'http-log-api',
  url: 'http://127.0.0.1:9/api/v1/logs?since=2026-01-01T00:00:00Z&limit={limit}',
  next: 'link',
  auth: { header: 'Authorization', env: 'GATECRASH_TEST_LOGS_TOKEN', prefix: 'SSWS ' },
  mapping: { fields: { id: 'uuid', ts: 'published', decision: { from: 'outcome.result', map: { SUCCESS: 'allow', DENY: 'deny' } }, reason: { from: 'outcome.reason', default: 'denied' }, status: { const: 0 }, component: { const: 'idp' } } },
}

const profile = (source: Record<string, unknown>) => ({
  name: 'okta-like',
  issuer: 'http://127.0.0.1:9',
  resources: [{ id: 'tools', audience: 'https://tools.example', origin: 'http://127.0.0.1:9', tools: [{ name: 'orders.read', method: 'GET', path: '/t/{tenant}/orders/{id}', scope: 'orders:read' }] }],
  identities: { registration: { initialAccessToken: { env: 'GATECRASH_TEST_IAT' } } },
  evidence: { source },
})

async function load(source: Record<string, unknown>) {
  await mkdir('.tmp', { recursive: true })
  const file = path.join(await mkdtemp(path.resolve('.tmp', 'profile-')), 'okta-like.target.ts')
  await writeFile(file, `import { defineTarget } from 'gatecrash'\nexport default defineTarget(${JSON.stringify(profile(source), null, 2)})\n`)
  return loadProfile(file).then(
    (loaded) => ({ loaded, error: null }),
    (e: unknown) => ({ loaded: null, error: e as { code: string; key?: string; hint?: string } }),
  )
}

beforeEach(() => {
  process.env.GATECRASH_TEST_IAT = 'x'
  process.env.GATECRASH_TEST_LOGS_TOKEN = 'logs-token-for-tests'
})
afterEach(() => {
  delete process.env.GATECRASH_TEST_IAT
  delete process.env.GATECRASH_TEST_LOGS_TOKEN
})

describe('an http-log-api source in a target profile', () => {
  test('an Okta-like declaration loads', async () => {
    const { loaded, error } = await load(SOURCE)
    expect(error).toBeNull()
    expect(loaded!.profile.evidence.source).toMatchObject({ kind: 'http-log-api', next: 'link' })
  })

  test('its token\'s environment variable unset: refused at load, at its key, before anything starts', async () => {
    delete process.env.GATECRASH_TEST_LOGS_TOKEN
    const { error } = await load(SOURCE)
    expect(error).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'evidence.source.auth.env', hint: expect.stringContaining('export GATECRASH_TEST_LOGS_TOKEN=') })
  })

  test('refused at their keys: cursorParam with Link paging, a body cursor without `records`, a mapping without `id`', async () => {
    expect((await load({ ...SOURCE, cursorParam: 'after' })).error).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'evidence.source.cursorParam' })
    expect((await load({ ...SOURCE, next: { body: 'next_cursor' }, cursorParam: 'cursor' })).error).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'evidence.source.records' })
    const { id: _, ...noId } = SOURCE.mapping.fields
    const e = (await load({ ...SOURCE, mapping: { fields: noId } })).error
    expect(e).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'evidence.source.mapping.fields.id' })
    expect(e!.hint).toContain('uuid')
  })

  test('a log API on a host the profile does not list is refused before anything is contacted', async () => {
    expect((await load({ ...SOURCE, url: 'https://example.okta.com/api/v1/logs?limit={limit}' })).error).toMatchObject({ code: 'ERR_TARGET_UNSAFE' })
  })
})
