/**
 * The reference target: a correct deployment, each part a separate process on 127.0.0.1 so faults
 * can hit one at a time, with flaw switches that break one control each for the mutation self-test.
 * Topology (docs/architecture.md): evidence sink; replay store; authorization server; two resource servers
 * with distinct audiences (rs-1 support tools, rs-2 knowledge base), each N replicas behind a
 * round-robin TCP front whose URL is the resource server's origin and audience.
 *
 * Chaos (docs/architecture.md "Chaos"): given `proxy`, the adapter routes each link through the harness's
 * fault proxy and uses the URL it returns wherever that link is used:
 *  - `rs-1`, `rs-2`: the fronts the agents call; the proxied URL is the resource server's origin,
 *    audience and DPoP `htu` origin;
 *  - `jwks`: the replicas' path to the AS (JWKS fetches and the lifecycle snapshot pull); the
 *    issuer stays the AS's own URL, an identifier;
 *  - `replay-store`: the replicas' path to the shared replay store;
 *  - `evidence-sink`: the AS's and the replicas' path to the sink (the harness reads evidence from
 *    the sink directly).
 * `chaos` also kills, pauses, resumes and restarts every component (chaos-hooks.ts says what each
 * keeps across a restart). Under every fault the target fails closed: 503 with a `system.*` reason
 * and a record where one can be written, never an unchecked call (see the `*-fail-open` flaws).
 *
 * Containers: `containers: ['replay-store']` (CLI `--container replay-store`) runs those components
 * in containers started through testcontainers (container/), on an image imported from this Node
 * binary, with host networking on 127.0.0.1; their process faults then go through testcontainers
 * (Docker kill, pause/unpause, restart). Containers left by a killed harness are removed at the
 * next start that asks for containers.
 *
 * @example
 * await using target = await referenceTarget.start({ trust, dataDir, initialAccessToken })
 * const meta = await fetch(`${target.issuer}/.well-known/oauth-authorization-server`)
 * await target.chaos!.pause('replay-store')   // tool calls: 503 system.replay_store_unavailable
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TargetStartFailed } from '../../harness/contracts/errors.ts'
import type { HttpCursorSourceSpec, StartedTarget, TargetAdapter, TargetStartOptions } from '../../harness/contracts/target.ts'
import { b64urlSha256 } from '../../harness/protocol/token-hash.ts'
import { ReferenceAdminClient } from './admin-client.ts'
import { AS_STATE_FILE } from './authorization-server/as-state.ts'
import { chaosHooks } from './chaos-hooks.ts'
import { FLAWS, resolveFlaws } from './flaws.ts'
import type { Component } from './component.ts'
import { ContainerComponent } from './container/container-component.ts'
import { cleanupIfContainersWereUsed, cleanupStaleContainers, dockerClient, markContainersUsed } from './container/docker.ts'
import { ProcessComponent } from './process-component.ts'
import { referenceInternalPaths } from './resource-server/internal-server.ts'
import { DPOP_IAT_WINDOW_S } from './resource-server/authorize-request.ts'
import { RESOURCE_SERVERS, toolScopes } from './resource-server/tools.ts'
import type { AsConfig, FrontConfig, ReplayStoreConfig, ResourceRegistration, RsConfig, SinkConfig } from './shared/component-config.ts'

export interface ReferenceStartOptions extends TargetStartOptions {
  /** access token lifetime in seconds (default 600) */
  tokenTtlS?: number
  readyTimeoutMs?: number
  /** replicas per resource server, each behind the server's round-robin front (default 2) */
  replicas?: number
  /**
   * records each evidence writer (the AS, each replica) buffers while the sink is unreachable; a
   * full buffer refuses with 503 system.evidence_unavailable (default 100 000)
   */
  evidenceBuffer?: number
  /** bound on one replay-store check at a replica, ms; slower is 503 system.replay_store_unavailable (default 1000) */
  replayStoreTimeoutMs?: number
  /** bound on one JWKS fetch at a replica, ms (default 1000) */
  jwksTimeoutMs?: number
  /**
   * the secret the evidence writers append to the sink with (default: 32 random bytes per start);
   * a test that wires a writer of its own to the target's sink passes one it knows
   */
  evidenceSecret?: string
  /**
   * components to run in containers through testcontainers instead of as child processes (one of
   * CONTAINER_COMPONENTS); needs a Docker engine
   */
  containers?: string[]
}

/**
 * Components that can run in a container: their configuration holds no secret (it travels in the
 * container's environment, not over IPC) and the adapter makes no calls to them after start.
 */
export const CONTAINER_COMPONENTS = ['replay-store', 'evidence-sink'] as const

/** The names `containers` takes; a TypeError naming the allowed ones otherwise (the CLI checks first). */
export function resolveContainers(names: readonly string[] = []): string[] {
  const unknown = names.filter((n) => !(CONTAINER_COMPONENTS as readonly string[]).includes(n))
  if (unknown.length > 0) throw new TypeError(`containers: ${unknown.map((n) => `"${n}"`).join(', ')} cannot run in a container; allowed: ${CONTAINER_COMPONENTS.join(', ')}`)
  return [...new Set(names)]
}

/** the links `proxy` is asked for, besides one per resource server */
const SHARED_LINKS = ['jwks', 'replay-store', 'evidence-sink']

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
const entry = (path: string): string => fileURLToPath(new URL(path, import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/+$/, '')

function positiveInt(name: string, value: number | undefined, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > max)) throw new TypeError(`${name} must be an integer from 1 to ${max}`)
}

async function stopAll(components: Component[]): Promise<void> {
  // Paused components go on first (a stopped sink would hold up every writer's last flush); then
  // writers, so their last evidence reaches the sink; the sink last.
  await Promise.all(components.filter((c) => c.paused).map((c) => c.resume()))
  const sink = components.filter((c) => c.name === 'evidence-sink')
  const writers = components.filter((c) => c.name !== 'evidence-sink')
  const results = [...(await Promise.allSettled(writers.map((c) => c.stop()))), ...(await Promise.allSettled(sink.map((c) => c.stop())))]
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
  if (errors.length > 0) throw new AggregateError(errors, 'some reference target components did not stop cleanly')
}

async function start(options: ReferenceStartOptions): Promise<StartedTarget<HttpCursorSourceSpec>> {
  const flaws = resolveFlaws(options.flaws)
  if (typeof options.initialAccessToken !== 'string' || options.initialAccessToken.length < 16) {
    throw new TypeError('initialAccessToken must be a string of at least 16 characters')
  }
  const replicas = options.replicas ?? 2
  positiveInt('replicas', replicas, 16)
  positiveInt('evidenceBuffer', options.evidenceBuffer, 10_000_000)
  positiveInt('replayStoreTimeoutMs', options.replayStoreTimeoutMs, 60_000)
  positiveInt('jwksTimeoutMs', options.jwksTimeoutMs, 60_000)
  const containers = resolveContainers(options.containers)
  // absolute: a component in a container runs in another working directory
  const dataDir = resolve(options.dataDir)
  const common = { readyTimeoutMs: options.readyTimeoutMs, log: options.log }
  if (containers.length > 0) {
    // no engine: fail before forking anything; then clean up after harnesses that were killed
    const client = await dockerClient()
    await cleanupStaleContainers(client, options.log)
    await markContainersUsed()
  } else await cleanupIfContainersWereUsed(options.log)
  // Secrets between components travel over IPC only (never argv or the environment): the admin API
  // bearer secret (held by the admin client), the AS ↔ replicas lifecycle push/pull secret, the
  // key sealing the AS's signing keys in its state journal, and the evidence writers' sink secret.
  const adminSecret = randomBytes(32).toString('base64url')
  const lifecycleSecret = randomBytes(32).toString('base64url')
  const stateKey = randomBytes(32).toString('base64url')
  // the sink holds only its hash (its config may travel in a container's environment)
  const evidenceSecret = options.evidenceSecret ?? randomBytes(32).toString('base64url')
  if (evidenceSecret.length < 32) throw new TypeError('evidenceSecret must be at least 32 characters')
  const link = async (name: string, upstream: string): Promise<string> => {
    if (options.proxy === undefined) return upstream
    return (await options.proxy(name, upstream)).replace(/\/+$/, '')
  }
  const forkOf = (name: string, path: string): Component =>
    containers.includes(name)
      ? new ContainerComponent({ name, entry: entry(path), repoRoot: REPO_ROOT, dataDir: name === 'evidence-sink' ? dataDir : undefined, ...common })
      : ProcessComponent.fork({ name, entry: entry(path), ...common })
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
  const started: Component[] = [sink, replayStore, as, ...servers.flatMap((s) => [s.front, ...s.replicas])]
  try {
    await mkdir(dataDir, { recursive: true })
    // a new target starts a new AS; only a restart (chaos) reads an earlier journal
    await rm(join(dataDir, AS_STATE_FILE), { force: true })
    await Promise.all([
      sink.start({ dataDir, flaws, ingestTokenHash: b64urlSha256(evidenceSecret) } satisfies SinkConfig),
      replayStore.start({} satisfies ReplayStoreConfig),
      ...servers.map((s) => s.front.start({ upstreams: [] } satisfies FrontConfig)),
    ])
    // Links the harness may put its fault proxy into, asked for before anything uses them.
    const [sinkLink, replayLink, ...origins] = await Promise.all([
      link('evidence-sink', sink.url),
      link('replay-store', replayStore.url),
      ...servers.map((s) => link(s.id, s.front.url)),
    ])
    const writerSettings = { dataDir, evidenceMaxBuffer: options.evidenceBuffer, evidenceSecret }
    const asConfig: AsConfig = {
      sinkUrl: sinkLink,
      trust: options.trust,
      initialAccessToken: options.initialAccessToken,
      flaws,
      tokenTtlS: options.tokenTtlS ?? 600,
      adminSecret,
      lifecycleSecret,
      stateKey,
      ...writerSettings,
    }
    await as.start(asConfig)
    const asLink = await link('jwks', as.url)
    await Promise.all(servers.flatMap((s, i) => s.replicas.map((r) => r.start({
      id: s.id,
      node: r.name,
      // A resource server's audience and public origin are its front's URL (the proxy's when one is given).
      audience: origins[i],
      origin: origins[i],
      sinkUrl: sinkLink,
      replayStoreUrl: replayLink,
      replayTimeoutMs: options.replayStoreTimeoutMs,
      issuer: as.url,
      jwksUri: `${asLink}/jwks`,
      jwksTimeoutMs: options.jwksTimeoutMs,
      lifecycleUrl: asLink,
      flaws,
      lifecycleSecret,
      ...writerSettings,
    } satisfies RsConfig))))
    const internalUrlOf = (r: Component): string => {
      if (r.internalUrl === undefined) throw new TargetStartFailed(`${r.name} reported no internal listener`, { hint: 'a replica serves its admin read and lifecycle push there (resource-server/internal-server.ts)' })
      return r.internalUrl
    }
    const upstreams = (s: (typeof servers)[number]): FrontConfig => ({ upstreams: s.replicas.map((r) => r.url) })
    await Promise.all(servers.map((s) => s.front.call('set-upstreams', upstreams(s))))
    // replicaUrls: the AS pushes revocation, offboarding and key retirement to each replica
    // (their internal listeners: the public ones, behind the fronts, do not route the lifecycle push)
    const registrations: ResourceRegistration[] = servers.map((s, i) => ({ audience: origins[i], scopes: toolScopes(s.tools), replicaUrls: s.replicas.map(internalUrlOf) }))
    for (const r of registrations) await as.call('add-resource', r)
    // a restarted AS knows the resource servers before it is ready
    asConfig.resources = registrations

    const keepsFiles = (c: Component): boolean => c === sink || c === as || servers.some((s) => s.replicas.includes(c))
    const frontOf = new Map(servers.flatMap((s) => s.replicas.map((r) => [r.name, s] as const)))
    const chaos = chaosHooks({
      links: options.proxy !== undefined ? [...servers.map((s) => s.id), ...SHARED_LINKS] : [],
      components: [as, ...servers.flatMap((s) => s.replicas), ...servers.map((s) => s.front), replayStore, sink],
      restartConfig: (name) => {
        if (name === 'as') return asConfig // with its resource servers now
        const front = servers.find((s) => s.front.name === name)
        return front !== undefined ? upstreams(front) : undefined
      },
      async afterRestart(name) {
        // same port, so the front's list is unchanged; told again all the same (re-registration)
        const s = frontOf.get(name)
        if (s !== undefined && s.front.running && !s.front.paused) await s.front.call('set-upstreams', upstreams(s), 1_000).catch(() => {})
      },
    })

    let stopping: Promise<void> | null = null
    const stop = (): Promise<void> => (stopping ??= stopAll(started))
    return {
      name: 'reference',
      version: VERSION,
      issuer: as.url,
      // internalPaths: what the public origin must not route (the escalate.internal-endpoint.* cases)
      resources: servers.map((s, i) => ({ id: s.id, audience: origins[i], origin: origins[i], tools: s.tools.map((t) => ({ ...t })), internalPaths: referenceInternalPaths() })),
      capabilities: {
        dpop: true,
        tokenExchange: true,
        clientCredentials: true,
        registration: true,
        revocation: true,
        clientDeletion: true,
        adminHooks: true,
        harnessIdp: true,
        replicas,
      },
      evidence: { kind: 'http-cursor', url: sink.url },
      // pid is read live: a restart changes it. The sink, the AS and the replicas keep files in dataDir.
      components: started.map((c) => ({ name: c.name, url: c.url, ...(c.internalUrl !== undefined ? { internalUrl: c.internalUrl } : {}), get pid() { return c.pid }, ...(keepsFiles(c) ? { dataDir } : {}) })),
      flaws,
      admin: new ReferenceAdminClient({
        asUrl: as.url,
        adminSecret,
        // read at call time: the replicas keeping the refund ledger, as they are now
        // (their internal listeners: the ledger read is not routed on the public ones)
        refundReplicaUrls: () => servers.filter((s) => s.tools.some((t) => t.name === 'refund.issue')).flatMap((s) => s.replicas.map(internalUrlOf)),
      }),
      chaos,
      // The reference AS learns a sub-agent's parent from a registration member, and the harness names
      // each client's tenant there too, so it is bound from the start. `tenant` is optional: a client
      // registered with standard members only is bound to its first subject token's tenant instead
      // (authorization-server/registration.ts; spec as-interop.test.ts).
      registration: {
        initialAccessToken: () => options.initialAccessToken,
        members: ({ tenant, parentClientId }) => ({ tenant, ...(parentClientId ? { parent_client_id: parentClientId } : {}) }),
        cleanup: 'keep',
      },
      // the resource servers' iat window, so replay cases can resend a proof just inside it
      policy: { dpopProofWindowS: DPOP_IAT_WINDOW_S },
      stop,
      [Symbol.asyncDispose]: stop,
    }
  } catch (e) {
    await stopAll(started).catch(() => {})
    throw e
  }
}

export const referenceTarget: TargetAdapter<HttpCursorSourceSpec> & { start(options: ReferenceStartOptions): Promise<StartedTarget<HttpCursorSourceSpec>> } = {
  name: 'reference',
  flaws: FLAWS,
  start,
}
