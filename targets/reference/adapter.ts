/**
 * The reference target: a correct deployment (evidence sink, authorization server, one resource
 * server), each a separate process on 127.0.0.1 so faults can hit one at a time, with flaw switches
 * that break one control each for the mutation self-test.
 *
 * @example
 * await using target = await referenceTarget.start({ trust, dataDir, initialAccessToken })
 * const meta = await fetch(`${target.issuer}/.well-known/oauth-authorization-server`)
 */
import { readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { StartedTarget, TargetAdapter, TargetStartOptions } from '../../harness/target/types.ts'
import { FLAWS, resolveFlaws } from './flaws.ts'
import { ProcessComponent } from './process-component.ts'
import { TOOLS, toolScopes } from './resource-server/tools.ts'
import type { AsConfig, ResourceRegistration, RsConfig, SinkConfig } from './shared/component-config.ts'

export interface ReferenceStartOptions extends TargetStartOptions {
  /** access token lifetime in seconds (default 600) */
  tokenTtlS?: number
  readyTimeoutMs?: number
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
  const common = { readyTimeoutMs: options.readyTimeoutMs, log: options.log }
  // Fork all three at once so they load their code in parallel; configure them in dependency order.
  const started: ProcessComponent[] = [
    ProcessComponent.fork({ name: 'evidence-sink', entry: entry('./evidence-sink/main.ts'), ...common }),
    ProcessComponent.fork({ name: 'as', entry: entry('./authorization-server/main.ts'), ...common }),
    ProcessComponent.fork({ name: 'rs-1', entry: entry('./resource-server/main.ts'), ...common }),
  ]
  const [sink, as, rs] = started
  try {
    await mkdir(options.dataDir, { recursive: true })
    await sink.start({ dataDir: options.dataDir } satisfies SinkConfig)
    await as.start({
      sinkUrl: sink.url,
      trust: options.trust,
      initialAccessToken: options.initialAccessToken,
      flaws,
      tokenTtlS: options.tokenTtlS ?? 600,
    } satisfies AsConfig)
    await rs.start({
      id: 'rs-1',
      sinkUrl: sink.url,
      issuer: as.url,
      jwksUri: `${as.url}/jwks`,
      flaws,
    } satisfies RsConfig)
    // The resource server's audience is its own URL, known only now that it listens.
    await as.call('add-resource', { audience: rs.url, scopes: toolScopes() } satisfies ResourceRegistration)

    let stopping: Promise<void> | null = null
    const stop = (): Promise<void> => (stopping ??= stopAll(started))
    return {
      name: 'reference',
      version: VERSION,
      issuer: as.url,
      resources: [{ id: 'rs-1', audience: rs.url, origin: rs.url, tools: TOOLS.map((t) => ({ ...t })) }],
      capabilities: {
        dpop: true,
        tokenExchange: true,
        clientCredentials: true,
        registration: true,
        revocation: false,
        clientDeletion: false,
        adminHooks: false,
        replicas: 1,
      },
      evidence: { kind: 'http-cursor', url: sink.url },
      components: started.map((c) => ({ name: c.name, url: c.url, pid: c.pid })),
      flaws,
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
