/**
 * Starts the example deployment (targets/examples/agent-tools) as processes on loopback, the way
 * its README says: one authorization server, a support resource server and a knowledge-base one,
 * a workforce IdP key made here (its JWKS handed to the AS as a file), and an audit log per
 * component. `stop()` ends the processes this helper started, by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { SignJWT } from 'jose'
import type { AuditRecord } from '../../../../../targets/examples/agent-tools/lib/audit-log.ts'

export const IDP_ISSUER = 'https://workforce-idp.example.invalid'
export const INITIAL_ACCESS_TOKEN = 'iat-for-tests-0123456789'
export const SUPPORT_SCOPES = ['tickets:read', 'customers:read', 'refunds:write']
export const KB_SCOPES = ['kb:read']

const ROOT = path.resolve(import.meta.dirname, '../../../../..')
const EXAMPLE = path.join(ROOT, 'targets/examples/agent-tools')

export interface Component {
  name: string
  url: string
  audit: string
  proc: ChildProcess
  output: string[]
}

export interface Deployment {
  dir: string
  issuer: string
  support: string
  kb: string
  as: Component
  rsSupport: Component
  rsKb: Component
  /** a user assertion of the workforce IdP (RFC 8693 subject_token of type jwt) */
  userAssertion(claims: { sub: string; tenant: string; scope: string[]; ttlS?: number; iat?: number; aud?: string; may_act?: { sub: string } }): Promise<string>
  audit(c: Component): AuditLine[]
  stop(): Promise<void>
}

/** one line of a component's audit log, as the example writes it */
export type AuditLine = AuditRecord

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

function start(name: string, entry: string, env: Record<string, string>, audit: string): Promise<Component> {
  const proc = spawn(process.execPath, [path.join(EXAMPLE, entry)], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const output: string[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 20 s:\n${output.join('')}`)), 20_000)
    proc.stderr!.on('data', (c: Buffer) => output.push(c.toString('utf8')))
    proc.stdout!.on('data', (c: Buffer) => {
      const text = c.toString('utf8')
      output.push(text)
      const m = /^ready (\S+)/m.exec(text)
      if (m !== null) {
        clearTimeout(timer)
        resolve({ name, url: m[1], audit, proc, output })
      }
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited with ${code}:\n${output.join('')}`))
    })
  })
}

export interface DeploymentOptions {
  flaws?: string[]
  /** per-component extra environment */
  asEnv?: Record<string, string>
  rsEnv?: Record<string, string>
  /** trust this IdP instead of one made here (userAssertion() then cannot sign for it) */
  idp?: { issuer: string; jwks: { keys: object[] } }
}

export async function startDeployment(opts: DeploymentOptions = {}): Promise<Deployment> {
  const dir = mkdtempSync(path.join(tmpdir(), 'agent-tools-'))
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwksFile = path.join(dir, 'idp-jwks.json')
  writeFileSync(jwksFile, JSON.stringify(opts.idp?.jwks ?? { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'idp-1', alg: 'ES256', use: 'sig' }] }))
  const [asPort, supportPort, kbPort] = [await freePort(), await freePort(), await freePort()]
  const issuer = `http://127.0.0.1:${asPort}`
  const support = `http://127.0.0.1:${supportPort}`
  const kb = `http://127.0.0.1:${kbPort}`
  const flaw = (opts.flaws ?? []).join(',')
  const common = { EXAMPLE_FLAW: flaw, EXAMPLE_AS_ISSUER: issuer }
  const asAudit = path.join(dir, 'as-audit.jsonl')
  const started: Component[] = []
  try {
    started.push(
      await start('as', 'as/main.ts', {
        ...common,
        EXAMPLE_AS_PORT: String(asPort),
        EXAMPLE_AS_DATA_DIR: path.join(dir, 'as'),
        EXAMPLE_AS_AUDIT_LOG: asAudit,
        EXAMPLE_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN,
        EXAMPLE_IDP_ISSUER: opts.idp?.issuer ?? IDP_ISSUER,
        EXAMPLE_IDP_JWKS_FILE: jwksFile,
        EXAMPLE_RESOURCES: JSON.stringify({ [support]: SUPPORT_SCOPES.join(' '), [kb]: KB_SCOPES.join(' ') }),
        ...opts.asEnv,
      }, asAudit),
    )
    const rs = (name: string, port: number, tools: string) => {
      const audit = path.join(dir, `${name}-audit.jsonl`)
      return start(name, 'rs/main.ts', { ...common, EXAMPLE_RS_PORT: String(port), EXAMPLE_RS_TOOLS: tools, EXAMPLE_RS_AUDIT_LOG: audit, ...opts.rsEnv }, audit)
    }
    started.push(...(await Promise.all([rs('rs-support', supportPort, 'support'), rs('rs-kb', kbPort, 'kb')])))
  } catch (e) {
    for (const c of started) c.proc.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
  const [as, rsSupport, rsKb] = started
  return {
    dir,
    issuer,
    support,
    kb,
    as,
    rsSupport,
    rsKb,
    userAssertion: (c) => userAssertion(privateKey, issuer, c),
    audit: (c) => (existsSync(c.audit) ? readFileSync(c.audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine) : []),
    async stop() {
      await Promise.all(
        started.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.proc.exitCode !== null || c.proc.signalCode !== null) return resolve()
              c.proc.once('exit', () => resolve())
              c.proc.kill('SIGTERM')
              setTimeout(() => c.proc.kill('SIGKILL'), 3000).unref()
            }),
        ),
      )
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function userAssertion(key: KeyObject, audience: string, c: Parameters<Deployment['userAssertion']>[0]): Promise<string> {
  const iat = c.iat ?? Math.floor(Date.now() / 1000)
  return new SignJWT({ tenant: c.tenant, scope: c.scope.join(' '), ...(c.may_act ? { may_act: c.may_act } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'idp-1' })
    .setIssuer(IDP_ISSUER)
    .setSubject(c.sub)
    .setAudience(c.aud ?? audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (c.ttlS ?? 300))
    .setJti(crypto.randomUUID())
    .sign(key)
}
