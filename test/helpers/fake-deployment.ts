/**
 * A user's deployment in miniature, reached only through a target profile, for the preflight
 * (`gatecrash target check`): the fake AS of the provisioning tests (RFC 8414, 7591, 8693; it
 * trusts a workforce IdP key file the profile names, so a CLI child process signs with the same
 * key), and a resource server that records every request it receives and writes one audit line per
 * answered call to a JSONL file the profile's evidence source maps. Nothing of it runs unless a test
 * starts it; its servers close with the test's cleanups.
 */
import { appendFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { initIdpKey } from '../../harness/population/idp-key-file.ts'
import { WorkforceIdp } from '../../harness/population/workforce-idp.ts'
import { IAT, startFakeAs } from '../unit/population/fake-as.ts'
import { listenLoopback, type Cleanup } from './listen.ts'

/** the environment variable the profile names for the initial access token */
export const FAKE_IAT_ENV = 'GATECRASH_FAKE_DEPLOYMENT_IAT'
export const FAKE_IAT = IAT

export interface ReceivedRequest {
  method: string
  path: string
  /** the parsed JSON body, or null when none was sent */
  body: unknown
  /** the trace id of the request's W3C traceparent */
  traceId: string | null
}

export interface FakeDeploymentOptions {
  /** the profile's tools (`resources[0].tools`) */
  tools: Record<string, unknown>[]
  /** answer writes (POST, PUT, PATCH, DELETE) with this status instead of 200 */
  writeStatus?: number
  /** keep writes out of the audit log, as a deployment whose writes go unrecorded */
  writesUnaudited?: boolean
  /** serve the resource server over HTTPS with this key and certificate; the profile names the CA (`tls.ca`) */
  https?: { key: string; cert: string; caFile: string }
  /** the AS's expires_in (its tokens' exp stays 300 s away), as an AS whose tokens outlive what it says */
  expiresIn?: number
  /** the audit line's key for the trace id (default `trace`, the key the profile's mapping reads) */
  traceKey?: string
  /** write the audit lines to a file the profile does not read, as a deployment logging elsewhere */
  auditElsewhere?: boolean
  /** the profile's evidence source instead of the audit file */
  evidence?: Record<string, unknown>
}

export interface FakeDeployment {
  /** the profile file, in a scratch folder inside the repository (so `import 'gatecrash'` resolves) */
  profile: string
  /** every request the resource server received, in order */
  received: ReceivedRequest[]
}

const MAPPING = {
  fields: {
    ts: 'time',
    decision: 'outcome',
    status: 'status',
    component: { const: 'tools' },
    'resource.path': 'path',
    'correlation.trace_id': 'trace',
  },
}

export async function startFakeDeployment(opts: FakeDeploymentOptions, cleanups: Cleanup[]): Promise<FakeDeployment> {
  // the key lives outside the project, as `gatecrash idp init` insists
  const keyFile = path.join(await mkdtemp(path.join(tmpdir(), 'gatecrash-fake-idp-')), 'workforce-idp.jwk')
  const { key } = await initIdpKey(keyFile, process.cwd())
  const as = await startFakeAs({ idp: new WorkforceIdp({ key }), initialAccessToken: FAKE_IAT, ...(opts.expiresIn === undefined ? {} : { expiresIn: opts.expiresIn }) })
  cleanups.push(as.close)

  await mkdir('.tmp', { recursive: true })
  const dir = await mkdtemp(path.resolve('.tmp', 'fake-deployment-'))
  const audit = path.join(dir, 'audit.jsonl')
  await writeFile(audit, '')
  const received: ReceivedRequest[] = []
  const handler = async (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks).toString()
    const traceId = /^00-([0-9a-f]{32})-/.exec(String(req.headers.traceparent))?.[1] ?? null
    const write = req.method !== 'GET'
    received.push({ method: req.method!, path: req.url!, body: raw === '' ? null : JSON.parse(raw), traceId })
    const status = write && opts.writeStatus !== undefined ? opts.writeStatus : 200
    if (!(write && opts.writesUnaudited)) {
      await appendFile(opts.auditElsewhere ? `${audit}.elsewhere` : audit, `${JSON.stringify({ time: new Date().toISOString(), outcome: status < 300 ? 'allow' : 'deny', status, path: req.url, [opts.traceKey ?? 'trace']: traceId })}\n`)
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '{"ok":true}' : '{"error":"invalid_request"}')
  }
  const rs = opts.https ? createHttpsServer({ key: opts.https.key, cert: opts.https.cert }, handler) : createServer(handler)
  const origin = `${opts.https ? 'https' : 'http'}://127.0.0.1:${await listenLoopback(rs, cleanups)}`

  const profile = {
    name: 'fake-deployment',
    issuer: as.issuer,
    resources: [{ id: 'tools', audience: 'https://tools.fake.test', origin, tools: opts.tools }],
    // the fake AS links a sub-agent to its parent by this registration member
    identities: { registration: { initialAccessToken: { env: FAKE_IAT_ENV }, parentMember: 'parent_client_id', cleanup: 'keep' } },
    principals: { idp: { keyFile } },
    evidence: { source: opts.evidence ?? { kind: 'jsonl', file: audit, mapping: MAPPING } },
    ...(opts.https ? { tls: { ca: opts.https.caFile } } : {}),
  }
  const file = path.join(dir, 'fake.target.ts')
  await writeFile(file, `import { defineTarget } from 'gatecrash'\nexport default defineTarget(${JSON.stringify(profile, null, 2)})\n`)
  return { profile: file, received }
}
