/**
 * The workforce IdP a user's AS trusts: a stable key written once (mode 0600, never inside the
 * project), its JWKS served on loopback during a run, and the tenant under the claim the target reads.
 */
import { chmod, mkdtemp, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { describe, expect, test } from 'vitest'
import { initIdpKey, readIdpKey } from '../../../harness/population/idp-key-file.ts'
import { serveJwks } from '../../../harness/population/jwks-server.ts'
import { WorkforceIdp } from '../../../harness/population/workforce-idp.ts'

const principal = { id: 'user_1', tenant: 't_1', entitlements: ['orders:read'] }

describe('gatecrash idp init: a stable workforce IdP key', () => {
  test('written once with mode 0600 in a 0700 folder; run again it is kept, and the IdP signs with it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatecrash-idp-'))
    const file = path.join(dir, 'conf', 'workforce-idp.jwk')
    const first = await initIdpKey(file, '/work/nowhere')
    expect(first.created).toBe(true)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700)
    const again = await initIdpKey(file, '/work/nowhere')
    expect(again.created).toBe(false)
    expect(again.key.jkt).toBe(first.key.jkt)
    const idp = new WorkforceIdp({ key: await readIdpKey(file) })
    const { payload } = await jwtVerify(idp.assertionFor(principal, 'https://as.example'), createLocalJWKSet(new WorkforceIdp({ key: first.key }).jwks()))
    expect(payload).toMatchObject({ sub: 'user_1', tenant: 't_1', aud: 'https://as.example' })
  })

  test('a path inside the project is refused (a private key in a repository leaks)', async () => {
    await expect(initIdpKey(path.resolve('idp.jwk'), process.cwd())).rejects.toMatchObject({ code: 'ERR_PROFILE_INVALID', key: 'principals.idp.keyFile' })
  })

  test('a key file others can read is refused with the chmod that fixes it', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'gatecrash-idp-')), 'k.jwk')
    await initIdpKey(file, '/work/nowhere')
    await chmod(file, 0o644)
    await expect(readIdpKey(file)).rejects.toMatchObject({ code: 'ERR_PROFILE_INVALID', hint: `chmod 600 ${file}` })
  })
})

describe('the IdP as a target trusts it', () => {
  test('the JWKS is served on 127.0.0.1 during the run, and an AS fetching it verifies the subject token', async () => {
    const idp = new WorkforceIdp()
    const server = await serveJwks(idp.jwks(), 0)
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/)
      const jwks = (await (await fetch(server.url)).json()) as { keys: [] }
      const { payload } = await jwtVerify(idp.assertionFor(principal, 'https://as.example'), createLocalJWKSet(jwks))
      expect(payload.sub).toBe('user_1')
    } finally {
      await server.close()
    }
  })

  test('the tenant travels under the claim the target names', async () => {
    const idp = new WorkforceIdp({ tenantClaim: 'org_id' })
    const { payload } = await jwtVerify(idp.assertionFor(principal, 'aud'), createLocalJWKSet(idp.jwks()))
    expect(payload).toMatchObject({ org_id: 't_1' })
    expect(payload.tenant).toBeUndefined()
  })
})
