/**
 * Bad profiles stop before anything starts: a coded error (ERR_PROFILE_INVALID / ERR_PROFILE_LOAD,
 * exit 104) naming the file, the dotted key and what is allowed, never a stack trace; a secret the
 * profile names must be set in the environment.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { loadProfile } from '../../../harness/profile/load.ts'
import { profileTarget, registrationPolicyOf } from '../../../targets/profile/adapter.ts'

const GOOD = {
  name: 'sandbox',
  issuer: 'http://127.0.0.1:9',
  resources: [{ id: 'tools', audience: 'https://tools.example', origin: 'http://127.0.0.1:9', tools: [{ name: 'orders.read', method: 'GET', path: '/t/{tenant}/orders/{id}', scope: 'orders:read' }] }],
  identities: { registration: { initialAccessToken: { env: 'GATECRASH_TEST_IAT' } } },
  evidence: { source: { kind: 'http-cursor', url: 'http://127.0.0.1:9/evidence' } },
}

async function profileFile(body: unknown): Promise<string> {
  await mkdir('.tmp', { recursive: true })
  const dir = await mkdtemp(path.resolve('.tmp', 'profile-'))
  const file = path.join(dir, 'sandbox.target.ts')
  await writeFile(file, `import { defineTarget } from 'gatecrash'\nexport default defineTarget(${JSON.stringify(body, null, 2)})\n`)
  return file
}

const loadError = (file: string) => loadProfile(file).then(() => null, (e: unknown) => e as { code: string; key?: string; message: string; hint?: string })

afterEach(() => {
  delete process.env.GATECRASH_TEST_IAT
})

describe('target profile: strict loading (exit 104 before anything starts)', () => {
  test('a good profile loads; its registration policy sends the token from the environment and no proprietary member', async () => {
    process.env.GATECRASH_TEST_IAT = 'iat-from-env'
    const loaded = await loadProfile(await profileFile(GOOD))
    expect(loaded.profile.name).toBe('sandbox')
    const policy = registrationPolicyOf(loaded.profile, loaded.file)
    expect(policy.initialAccessToken('t_1')).toBe('iat-from-env')
    expect(policy.members({ tenant: 't_1', parentClientId: 'agent-1' })).toEqual({})
    expect(policy.cleanup).toBe('delete')
  })

  test('an unknown key names the file, the dotted key and the allowed keys', async () => {
    process.env.GATECRASH_TEST_IAT = 'x'
    const file = await profileFile({ ...GOOD, resources: [{ ...GOOD.resources[0], tools: [{ ...GOOD.resources[0].tools[0], scopes: 'x' }] }] })
    const e = await loadError(file)
    expect(e).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.tools.0.scopes' })
    expect(e!.message).toContain(file)
    expect(e!.hint).toMatch(/name, method, path, scope, writes, limit/)
  })

  test('a missing issuer → ERR_PROFILE_INVALID at `issuer`', async () => {
    process.env.GATECRASH_TEST_IAT = 'x'
    const { issuer: _, ...noIssuer } = GOOD
    expect(await loadError(await profileFile(noIssuer))).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'issuer' })
  })

  test('a resource server states `audience` and `origin`, or names its RFC 9728 `metadata`: both, or half of neither, is refused', async () => {
    process.env.GATECRASH_TEST_IAT = 'x'
    const { audience: _a, origin: _o, ...tools } = GOOD.resources[0]
    const byMetadata = { ...tools, metadata: 'http://127.0.0.1:9/.well-known/oauth-protected-resource' }
    expect((await loadProfile(await profileFile({ ...GOOD, resources: [byMetadata] }))).profile.resources[0]).toMatchObject({ metadata: byMetadata.metadata })
    const both = await loadError(await profileFile({ ...GOOD, resources: [{ ...GOOD.resources[0], metadata: byMetadata.metadata }] }))
    expect(both).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0', message: expect.stringContaining('names `metadata` and `audience`/`origin`') })
    const noOrigin = await loadError(await profileFile({ ...GOOD, resources: [{ ...tools, audience: 'https://tools.example' }] }))
    expect(noOrigin).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.origin' })
    expect(noOrigin!.hint).toContain('RFC 9728')
    // a metadata URL off this machine is a host like any other: refused without its acknowledgement
    const far = await loadError(await profileFile({ ...GOOD, resources: [{ ...tools, metadata: 'https://rs.example.com/.well-known/oauth-protected-resource' }] }))
    expect(far).toMatchObject({ code: 'ERR_TARGET_UNSAFE', message: expect.stringContaining('resources.0.metadata') })
  })

  test('a wrong type → ERR_PROFILE_INVALID naming what is allowed', async () => {
    process.env.GATECRASH_TEST_IAT = 'x'
    const e = await loadError(await profileFile({ ...GOOD, resources: [{ ...GOOD.resources[0], tools: [{ ...GOOD.resources[0].tools[0], method: 'FETCH' }] }] }))
    expect(e).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.tools.0.method' })
    expect(e!.hint).toContain("'GET', 'POST'")
  })

  test('the initial access token\'s environment variable unset → ERR_PROFILE_INVALID naming the key and the variable, not its value', async () => {
    const e = await loadError(await profileFile(GOOD))
    expect(e).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'identities.registration.initialAccessToken.env' })
    expect(e!.message).toContain('GATECRASH_TEST_IAT')
    expect(e!.hint).toContain('export GATECRASH_TEST_IAT=')
  })

  test('a secret written into the profile instead of an environment variable name is refused', async () => {
    const e = await loadError(await profileFile({ ...GOOD, identities: { registration: { initialAccessToken: 'the-token-itself' } } }))
    expect(e).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'identities.registration.initialAccessToken' })
  })

  test('a file that is not there, or does not load → ERR_PROFILE_LOAD with a hint', async () => {
    expect(await loadError('.tmp/no-such.target.ts')).toMatchObject({ code: 'ERR_PROFILE_LOAD', hint: expect.stringContaining('defineTarget') })
    await mkdir('.tmp', { recursive: true })
    const broken = path.resolve(await mkdtemp(path.resolve('.tmp', 'profile-')), 'broken.target.ts')
    await writeFile(broken, 'export default {\n')
    expect(await loadError(broken)).toMatchObject({ code: 'ERR_PROFILE_LOAD' })
  })

  test('an unreachable issuer → ERR_TARGET_UNREACHABLE when the target starts, with a hint', async () => {
    process.env.GATECRASH_TEST_IAT = 'x'
    const adapter = profileTarget(await loadProfile(await profileFile(GOOD)))
    const e = await adapter.start({ trust: { issuer: 'x', jwks: { keys: [] } }, dataDir: '.tmp', initialAccessToken: 'unused-unused-unused' }).then(() => null, (x: unknown) => x)
    expect(e).toMatchObject({ code: 'ERR_TARGET_UNREACHABLE', hint: expect.any(String) })
  })

  test('tenancy by registration member, one token per tenant, and a parent member are the profile\'s choice', async () => {
    process.env.GATECRASH_TEST_IAT = 'tok-t1'
    const loaded = await loadProfile(await profileFile({
      ...GOOD,
      identities: { registration: { tenancy: { via: 'initial-access-token', perTenant: { t_1: { env: 'GATECRASH_TEST_IAT' } } }, parentMember: 'software_statement_parent', metadata: { application_type: 'native' }, cleanup: 'keep' } },
    }))
    const policy = registrationPolicyOf(loaded.profile, loaded.file)
    expect(policy.initialAccessToken('t_1')).toBe('tok-t1')
    expect(() => policy.initialAccessToken('t_2')).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_INVALID', key: 'identities.registration.tenancy.perTenant' }))
    expect(policy.members({ tenant: 't_1', parentClientId: 'p1' })).toEqual({ application_type: 'native', software_statement_parent: 'p1' })
    expect(policy.cleanup).toBe('keep')
  })

  test('principals from a command: the adapter takes its subject tokens from it and no case may craft one (capabilities.harnessIdp false)', async () => {
    process.env.GATECRASH_TEST_IAT = 'x'
    const loaded = await loadProfile(await profileFile({ ...GOOD, principals: { command: { run: ['node', 'idp-cli.mjs', '{principal}'], tokenType: 'urn:ietf:params:oauth:token-type:id_token', timeout: '5s' } } }))
    const adapter = profileTarget(loaded)
    expect(adapter.subjectTokens).toMatchObject({ tokenType: 'urn:ietf:params:oauth:token-type:id_token', describe: expect.stringContaining('node idp-cli.mjs {principal}') })
    expect(profileTarget(await loadProfile(await profileFile(GOOD))).subjectTokens).toBeUndefined()
  })

  test.each([
    ['both idp and command', { idp: {}, command: { run: ['x'] } }, 'principals', /exactly one of idp, command/],
    ['a command without run', { command: { tokenType: 'urn:ietf:params:oauth:token-type:jwt' } }, 'principals.command.run', /missing/],
    ['a token type that is no RFC 8693 URI', { command: { run: ['x'], tokenType: 'jwt' } }, 'principals.command.tokenType', /RFC 8693/],
    ['an empty argument', { command: { run: ['node', ''] } }, 'principals.command.run.1', /placeholders/],
    ['a timeout over a minute', { command: { run: ['x'], timeout: '5m' } }, 'principals.command.timeout', /./],
  ])('principals with %s → ERR_PROFILE_INVALID at the key', async (_, principals, key, allowed) => {
    process.env.GATECRASH_TEST_IAT = 'x'
    const e = await loadError(await profileFile({ ...GOOD, principals }))
    expect(e).toMatchObject({ code: 'ERR_PROFILE_INVALID', key })
    expect(`${e!.message} ${e!.hint ?? ''}`).toMatch(allowed)
  })
})

describe('target profile: clients registered beforehand (an AS without dynamic registration)', () => {
  test('each identity takes the next client of its tenant from the file; the user\'s clients are never registered or deleted', async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    const jwk = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
    const dir = await mkdtemp(path.resolve('.tmp', 'profile-'))
    await writeFile(path.join(dir, 'clients.json'), JSON.stringify([{ client_id: 'c-any', jwk: jwk() }, { client_id: 'c-t2', jwk: jwk(), tenant: 't_2' }]))
    const file = path.join(dir, 'sandbox.target.ts')
    const { identities: _, ...rest } = GOOD
    await writeFile(file, `import { defineTarget } from 'gatecrash'\nexport default defineTarget(${JSON.stringify({ ...rest, identities: { clients: { file: './clients.json' } } })})\n`)
    const { preRegisteredPolicy } = await import('../../../targets/profile/adapter.ts')
    const policy = await preRegisteredPolicy(await loadProfile(file), './clients.json')
    expect(policy.cleanup).toBe('keep')
    expect(policy.preRegistered!('t_2')?.clientId).toBe('c-t2')
    expect(policy.preRegistered!('t_2')?.clientId).toBe('c-any')
    expect(policy.preRegistered!('t_1')).toBeUndefined()
  })

  test('naming both registration and clients, or neither, is refused', async () => {
    process.env.GATECRASH_TEST_IAT = 'x'
    expect(await loadError(await profileFile({ ...GOOD, identities: { ...GOOD.identities, clients: { file: 'c.json' } } }))).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'identities', hint: expect.stringContaining('exactly one of registration, clients') })
    expect(await loadError(await profileFile({ ...GOOD, identities: {} }))).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'identities' })
  })

  test('a clients file with a public-only key is refused naming the entry', async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    const dir = await mkdtemp(path.resolve('.tmp', 'profile-'))
    await writeFile(path.join(dir, 'clients.json'), JSON.stringify([{ client_id: 'c1', jwk: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) }]))
    const file = path.join(dir, 'sandbox.target.ts')
    const { identities: _, ...rest } = GOOD
    await writeFile(file, `import { defineTarget } from 'gatecrash'\nexport default defineTarget(${JSON.stringify({ ...rest, identities: { clients: { file: './clients.json' } } })})\n`)
    const { preRegisteredPolicy } = await import('../../../targets/profile/adapter.ts')
    await expect(preRegisteredPolicy(await loadProfile(file), './clients.json')).rejects.toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'identities.clients.file', message: expect.stringContaining('entry 0 (c1)') })
  })
})

describe('target profile: hosts beyond loopback (docs/architecture.md "Safety")', () => {
  test('a non-loopback issuer without an acknowledged hosts entry → ERR_TARGET_UNSAFE naming the key, before anything is contacted', async () => {
    process.env.GATECRASH_TEST_IAT = 'x'
    const e = await loadError(await profileFile({ ...GOOD, issuer: 'https://staging.example.internal' }))
    expect(e).toMatchObject({ code: 'ERR_TARGET_UNSAFE', message: expect.stringContaining('`issuer`') })
    expect(e!.hint).toContain('I own staging.example.internal and may load-test it')
  })

  test('an entry whose acknowledgement is not the exact sentence for its host is refused', async () => {
    process.env.GATECRASH_TEST_IAT = 'x'
    const hosts = [{ host: 'staging.example.internal', acknowledge: 'yes' }]
    expect(await loadError(await profileFile({ ...GOOD, issuer: 'https://staging.example.internal', hosts }))).toMatchObject({ code: 'ERR_TARGET_UNSAFE' })
  })

  test('with the acknowledgement the profile loads (nothing connects at load time)', async () => {
    process.env.GATECRASH_TEST_IAT = 'x'
    const hosts = [{ host: 'staging.example.internal', acknowledge: 'I own staging.example.internal and may load-test it' }]
    const loaded = await loadProfile(await profileFile({ ...GOOD, issuer: 'https://staging.example.internal', hosts, tls: { ca: './ca.pem' } }))
    const adapter = profileTarget(loaded)
    expect(adapter.connection).toEqual({ hosts, tls: { ca: path.join(path.dirname(loaded.file), 'ca.pem') } })
  })
})

describe('target profile: a write tool\'s preflight fixture (the call `target check` makes without --call-writes)', () => {
  const REFUND = { name: 'refund.issue', method: 'POST', path: '/t/{tenant}/refunds', scope: 'refunds:write', writes: true, limit: { field: 'amount', max: 500 } }
  const withTool = (tool: Record<string, unknown>) => ({ ...GOOD, resources: [{ ...GOOD.resources[0], tools: [...GOOD.resources[0].tools, tool] }] })
  const fixtureError = async (tool: Record<string, unknown>) => {
    process.env.GATECRASH_TEST_IAT = 'x'
    return loadError(await profileFile(withTool(tool)))
  }

  test('a fixture with a JSON body, and an id where the path has {id}, loads as written', async () => {
    process.env.GATECRASH_TEST_IAT = 'x'
    const body = { ticket_id: 'preflight', amount: 0, dry_run: true, tags: ['a', null], meta: { n: 1.5 } }
    const draft = { name: 'draft.delete', method: 'DELETE', path: '/t/{tenant}/drafts/{id}', scope: 'refunds:write', writes: true, preflight: { id: 'preflight-draft' } }
    const loaded = await loadProfile(await profileFile({ ...GOOD, resources: [{ ...GOOD.resources[0], tools: [...GOOD.resources[0].tools, { ...REFUND, preflight: { body } }, draft] }] }))
    expect(loaded.profile.resources[0].tools.map((t) => t.preflight)).toEqual([undefined, { body }, { id: 'preflight-draft' }])
  })

  test('an unknown key in a fixture names the dotted key and the allowed ones', async () => {
    const e = await fixtureError({ ...REFUND, preflight: { bdy: { amount: 1 } } })
    expect(e).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.tools.1.preflight.bdy', hint: 'allowed: id, body' })
  })

  test('a body that is not a JSON object, or holds what JSON cannot carry, is refused at its dotted key', async () => {
    expect(await fixtureError({ ...REFUND, preflight: { body: 'amount=0' } })).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.tools.1.preflight.body', message: expect.stringContaining('is a string') })
    expect(await fixtureError({ ...REFUND, preflight: { body: [1] } })).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.tools.1.preflight.body' })
    // a profile is TypeScript: values JSON.stringify would drop or bend are refused, not sent changed
    process.env.GATECRASH_TEST_IAT = 'x'
    const file = await profileFile(withTool({ ...REFUND, preflight: { body: { amount: 0, when: '__DATE__' } } }))
    await writeFile(file, (await readFile(file, 'utf8')).replace('"__DATE__"', 'new Date(0)'))
    const e = await loadError(file)
    expect(e).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.tools.1.preflight.body.when', message: expect.stringContaining('(Date)') })
    expect(e!.hint).toContain('a JSON object')
  })

  test('a fixture on a tool that does not write is refused: read tools are always called', async () => {
    const e = await fixtureError({ name: 'orders.list', method: 'GET', path: '/t/{tenant}/orders', scope: 'orders:read', preflight: { body: {} } })
    expect(e).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.tools.1.preflight', hint: expect.stringContaining('writes: true') })
  })

  test('an id exactly when the path has {id}', async () => {
    const draft = { name: 'draft.delete', method: 'DELETE', path: '/t/{tenant}/drafts/{id}', scope: 'refunds:write', writes: true }
    expect(await fixtureError({ ...draft, preflight: {} })).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.tools.1.preflight.id', message: expect.stringContaining('is missing') })
    expect(await fixtureError({ ...REFUND, preflight: { id: 'x', body: {} } })).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.tools.1.preflight.id', message: expect.stringContaining('has no {id}') })
  })

  test('a body over the tool\'s limit is refused: the deployment would refuse the call the fixture makes', async () => {
    const e = await fixtureError({ ...REFUND, preflight: { body: { ticket_id: 'preflight', amount: 501 } } })
    expect(e).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.tools.1.preflight.body.amount', hint: expect.stringContaining('≤ 500') })
  })
})

describe('target profile: a resource server\'s internal paths (the escalate.internal-endpoint.* cases)', () => {
  const LEDGER = { name: 'ledger read', method: 'GET', path: '/admin/ledger', role: 'admin' }
  const PUSH = { name: 'revocation push', method: 'POST', path: '/internal/revocations', role: 'peer', body: { events: [] } }
  const withInternal = (internalPaths: unknown) => ({ ...GOOD, resources: [{ ...GOOD.resources[0], internalPaths }] })
  const internalError = async (internalPaths: unknown) => {
    process.env.GATECRASH_TEST_IAT = 'x'
    return loadError(await profileFile(withInternal(internalPaths)))
  }

  test('declared paths load as written; a profile without any loads with none', async () => {
    process.env.GATECRASH_TEST_IAT = 'x'
    const loaded = await loadProfile(await profileFile(withInternal([LEDGER, PUSH])))
    expect(loaded.profile.resources[0].internalPaths).toEqual([LEDGER, PUSH])
    expect((await loadProfile(await profileFile(GOOD))).profile.resources[0].internalPaths).toBeUndefined()
  })

  test('an unknown key, an unknown role, a path with a placeholder or a query, and a body that is no object are each refused at their dotted key', async () => {
    expect(await internalError([{ ...LEDGER, secret: 'x' }])).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.internalPaths.0.secret', hint: expect.stringContaining('name, method, path, role, body') })
    expect(await internalError([{ ...LEDGER, role: 'operator' }])).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.internalPaths.0.role' })
    expect(await internalError([{ ...LEDGER, path: '/t/{tenant}/admin' }])).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.internalPaths.0.path' })
    expect(await internalError([{ ...LEDGER, path: '/admin?x=1' }])).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.internalPaths.0.path' })
    expect(await internalError([{ ...PUSH, body: [1] }])).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.internalPaths.0.body' })
    const { role: _, ...noRole } = LEDGER
    expect(await internalError([noRole])).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.internalPaths.0.role' })
    expect(await internalError(LEDGER)).toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'resources.0.internalPaths' })
  })
})
