/**
 * The example as containers: one local image built without a registry (a base imported from the
 * local Node binary, a Dockerfile with COPY/ENV/CMD only), the AS and a resource server started
 * from it with host networking, and one agent served end to end. Skips when no Docker engine
 * answers; removes its containers and images.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { SignJWT } from 'jose'
import { afterAll, describe, expect, test } from 'vitest'
import { buildBaseImage, buildImage } from '../../../../targets/examples/agent-tools/container/build-image.ts'
import { freePort, INITIAL_ACCESS_TOKEN, IDP_ISSUER } from './helpers/deployment.ts'
import { callTool, exchange, newAgent, TYPE_JWT } from './helpers/client.ts'

const engine = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' })
const hasDocker = engine.status === 0 && engine.stdout.trim() !== ''
if (!hasDocker && process.env.GATECRASH_CI_REQUIRES?.split(',').includes('docker')) throw new Error('CI requires a Docker engine (GATECRASH_CI_REQUIRES=docker) and none answers')
if (!hasDocker) console.warn('container.test.ts: no Docker engine answers; skipping (start dockerd, see docs/platform.md)')

// tags of their own, so a concurrent run elsewhere on this engine is not disturbed
const TAG = `agent-tools-example:test-${process.pid}`
const BASE = `agent-tools-node-base:test-${process.pid}`
const names: string[] = []
const dir = mkdtempSync(path.join(tmpdir(), 'agent-tools-container-'))

afterAll(() => {
  for (const n of names) spawnSync('docker', ['rm', '-f', n], { stdio: 'ignore' })
  if (hasDocker) spawnSync('docker', ['rmi', '-f', TAG, BASE], { stdio: 'ignore' })
  rmSync(dir, { recursive: true, force: true })
})

function run(name: string, env: Record<string, string>, volume: string, command: string[] = []): void {
  names.push(name)
  execFileSync('docker', ['run', '-d', '--name', name, '--network', 'host', '-v', `${volume}:/data`, ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), TAG, ...command], { stdio: 'ignore' })
}

async function ready(name: string): Promise<string> {
  const until = Date.now() + 30_000
  while (Date.now() < until) {
    const logs = spawnSync('docker', ['logs', name], { encoding: 'utf8' })
    const m = /^ready (\S+)/m.exec(logs.stdout)
    if (m !== null) return m[1]
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${name} not ready: ${spawnSync('docker', ['logs', name], { encoding: 'utf8' }).stderr}`)
}

describe.skipIf(!hasDocker)('one local image, no registry', () => {
  test('the AS and an RS run from the image and serve an agent end to end, writing their audit logs to /data', async () => {
    buildImage(TAG, buildBaseImage(BASE))
    const dockerfile = readFileSync(path.resolve(import.meta.dirname, '../../../../targets/examples/agent-tools/container/Dockerfile'), 'utf8')
    expect(dockerfile).not.toMatch(/^\s*RUN\b/m)

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const [asPort, rsPort] = [await freePort(), await freePort()]
    const issuer = `http://127.0.0.1:${asPort}`
    const rs = `http://127.0.0.1:${rsPort}`
    const asData = path.join(dir, 'as')
    const rsData = path.join(dir, 'rs')
    run(`agent-tools-as-${process.pid}`, {
      EXAMPLE_AS_PORT: String(asPort),
      EXAMPLE_AS_ISSUER: issuer,
      EXAMPLE_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN,
      EXAMPLE_IDP_ISSUER: IDP_ISSUER,
      EXAMPLE_IDP_JWKS: JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'idp-1', alg: 'ES256' }] }),
      EXAMPLE_RESOURCES: JSON.stringify({ [rs]: 'tickets:read customers:read refunds:write' }),
    }, asData)
    run(`agent-tools-rs-${process.pid}`, { EXAMPLE_AS_ISSUER: issuer, EXAMPLE_RS_PORT: String(rsPort) }, rsData, ['/usr/local/bin/node', 'rs/main.ts'])
    expect(await ready(`agent-tools-as-${process.pid}`)).toBe(issuer)
    expect(await ready(`agent-tools-rs-${process.pid}`)).toBe(rs)

    const agent = await newAgent(issuer, INITIAL_ACCESS_TOKEN, ['tickets:read'])
    const now = Math.floor(Date.now() / 1000)
    const assertion = await new SignJWT({ tenant: 't_1', scope: 'tickets:read' }).setProtectedHeader({ alg: 'ES256', kid: 'idp-1' }).setIssuer(IDP_ISSUER).setSubject('user_1').setAudience(issuer).setIssuedAt(now).setExpirationTime(now + 300).sign(privateKey)
    const token = await exchange(issuer, agent, assertion, TYPE_JWT, rs)
    expect(token.status, JSON.stringify(token.body)).toBe(200)
    const call = await callTool(`${rs}/t/t_1/tickets/ticket_1`, token.body.access_token as string, agent)
    expect(call.status).toBe(200)

    const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { trace: string; outcome: string })
    expect(lines(path.join(asData, 'as', 'audit.jsonl')).some((l) => l.trace === token.traceId && l.outcome === 'allowed')).toBe(true)
    expect(lines(path.join(rsData, 'rs-audit.jsonl')).some((l) => l.trace === call.traceId && l.outcome === 'allowed')).toBe(true)
  }, 120_000)
})
