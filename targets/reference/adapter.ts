/**
 * The reference target: a correct deployment, each part a separate process on 127.0.0.1 so faults
 * can hit one at a time, with flaw switches that break one control each for the mutation self-test.
 * Topology (design.md): evidence sink; replay store; authorization server; two resource servers
 * with distinct audiences (rs-1 support tools, rs-2 knowledge base), each N replicas behind a
 * round-robin TCP front whose URL is the resource server's origin and audience.
 *
 * @example
 * await using target = await referenceTarget.start({ trust, dataDir, initialAccessToken })
 * const meta = await fetch(`${target.issuer}/.well-known/oauth-authorization-server`)
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { StartedTarget, TargetAdapter, TargetStartOptions } from '../../harness/target/types.ts'
import { ReferenceAdminClient } from './admin-client.ts'
import { FLAWS, resolveFlaws } from './flaws.ts'
import { ProcessComponent } from './process-component.ts'
import { RESOURCE_SERVERS, toolScopes } from './resource-server/tools.ts'
import type { AsConfig, FrontConfig, ReplayStoreConfig, ResourceRegistration, RsConfig, SinkConfig } from './shared/component-config.ts'

export interface ReferenceStartOptions extends TargetStartOptions {
  /** access token lifetime in seconds (default 600) */
  tokenTtlS?: number
  readyTimeoutMs?: number
  /** replicas per resource server, each behind the server's round-robin front (default 2) */
  replicas?: number
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
const entry = (path: string): string => fileURLToPath(new URL(path, import.meta.url))

async function stopAll(components: ProcessComponent[]): Promise<void> {
  // Writers first so their last evidence reaches the sink; the sink last.
  const sink = components.filter((c) => c.name === 'evidence-sink')
  const writers = components.filter((c) => c.name !== 'evidence-sink')
  const results = [...(await Promise.allSettled(writers.map((c) => c.stop()))), ...(await Promise.allSettled(sink.map((c) => c.stop())))]
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
  if (errors.length > 0) throw new AggregateError(errors, 'some reference target components did not stop cleanly')
}

async function start(options: ReferenceStartOptions): Promise<StartedTarget> {
  const flaws = resolveFlaws(options.flaws)
  if (typeof options.initialAccessToken !== 'string' || options.initialAccessToken.length < 16) {
    throw new TypeError('initialAccessToken must be a string of at least 16 characters')
  }
  const replicas = options.replicas ?? 2
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) throw new TypeError('replicas must be an integer from 1 to 16')
  const common = { readyTimeoutMs: options.readyTimeoutMs, log: options.log }
  // Secrets between components travel over IPC only (never argv or the environment): the admin API
  // bearer secret (held by the admin client), and the AS ↔ replicas lifecycle push/pull secret.
  const adminSecret = randomBytes(32).toString('base64url')
  const lifecycleSecret = randomBytes(32).toString('base64url')
  const forkOf = (name: string, path: string): ProcessComponent => ProcessComponent.fork({ name, entry: entry(path), ...common })
  // Fork everything at once so the processes load their code in parallel; configure them in
  // dependency order: sink, replay store and fronts; the AS; the replicas; then the fronts learn
  // their replicas and the AS its resource servers.
  const sink = forkOf('evidence-sink', './evidence-sink/main.ts')
  const replayStore = forkOf('replay-store', './replay-store/main.ts')
  const as = forkOf('as', './authorization-server/main.ts')
  const servers = RESOURCE_SERVERS.map((rs) => ({
    ...rs,
    front: forkOf(`${rs.id}/front`, './front/main.ts'),
    replicas: Array.from({ length: replicas }, (_, i) => forkOf(`${rs.id}/${i}`, './resource-server/main.ts')),
  }))
  const started: ProcessComponent[] = [sink, replayStore, as, ...servers.flatMap((s) => [s.front, ...s.replicas])]
  try {
    await mkdir(options.dataDir, { recursive: true })
    await Promise.all([
      sink.start({ dataDir: options.dataDir, flaws } satisfies SinkConfig),
      replayStore.start({} satisfies ReplayStoreConfig),
      ...servers.map((s) => s.front.start({ upstreams: [] } satisfies FrontConfig)),
    ])
    await as.start({
      sinkUrl: sink.url,
      trust: options.trust,
      initialAccessToken: options.initialAccessToken,
      flaws,
      tokenTtlS: options.tokenTtlS ?? 600,
      adminSecret,
      lifecycleSecret,
    } satisfies AsConfig)
    await Promise.all(servers.flatMap((s) => s.replicas.map((r) => r.start({
      id: s.id,
      node: r.name,
      // A resource server's audience and public origin are its front's URL, known once the front listens.
      audience: s.front.url,
      origin: s.front.url,
      sinkUrl: sink.url,
      replayStoreUrl: replayStore.url,
      issuer: as.url,
      jwksUri: `${as.url}/jwks`,
      flaws,
      lifecycleSecret,
    } satisfies RsConfig))))
    await Promise.all(servers.map((s) => s.front.call('set-upstreams', { upstreams: s.replicas.map((r) => r.url) })))
    for (const s of servers) {
      // replicaUrls: the AS pushes revocation, offboarding and key retirement to each replica
      await as.call('add-resource', { audience: s.front.url, scopes: toolScopes(s.tools), replicaUrls: s.replicas.map((r) => r.url) } satisfies ResourceRegistration)
    }

    let stopping: Promise<void> | null = null
    const stop = (): Promise<void> => (stopping ??= stopAll(started))
    return {
      name: 'reference',
      version: VERSION,
      issuer: as.url,
      resources: servers.map((s) => ({ id: s.id, audience: s.front.url, origin: s.front.url, tools: s.tools.map((t) => ({ ...t })) })),
      capabilities: {
        dpop: true,
        tokenExchange: true,
        clientCredentials: true,
        registration: true,
        revocation: true,
        clientDeletion: true,
        adminHooks: true,
        replicas,
      },
      evidence: { kind: 'http-cursor', url: sink.url },
      components: started.map((c) => ({ name: c.name, url: c.url, pid: c.pid })),
      flaws,
      admin: new ReferenceAdminClient({
        asUrl: as.url,
        adminSecret,
        // read at call time: the replicas keeping the refund ledger, as they are now
        refundReplicaUrls: () => servers.filter((s) => s.tools.some((t) => t.name === 'refund.issue')).flatMap((s) => s.replicas.map((r) => r.url)),
      }),
      stop,
      [Symbol.asyncDispose]: stop,
    }
  } catch (e) {
    await stopAll(started).catch(() => {})
    throw e
  }
}

export const referenceTarget: TargetAdapter & { start(options: ReferenceStartOptions): Promise<StartedTarget> } = {
  name: 'reference',
  flaws: FLAWS,
  start,
}
