/**
 * One container of a deployment, through testcontainers: its image built from the profile's
 * Dockerfile (container-image.ts), run with host networking (so it listens on 127.0.0.1 of this
 * machine), the spec's environment, owner labels (a killed harness's containers are removed at the
 * next start), a wait on a log line or a command, and its output into its log, redacted. stop()
 * stops and removes the container, then its image.
 *
 * @example
 * const c = await DeploymentContainer.start({ spec, baseDir, log, redactor, timeoutMs: 60_000, stopGraceMs: 5_000 })
 * await c.stop()   // container and image gone
 */
import { randomBytes } from 'node:crypto'
import { mkdir, stat } from 'node:fs/promises'
import path from 'node:path'
import type { StartedTestContainer } from 'testcontainers'
import type { Redactor } from '../../../harness/protocol/redact.ts'
import { baseImage } from '../../shared/container/base-image.ts'
import { dockerClient } from '../../shared/container/engine.ts'
import { ownerLabels } from '../../shared/container/owner.ts'
import { CommandWaitStrategy } from './command-wait.ts'
import { buildImage, imageTagFor, removeImage } from './container-image.ts'
import type { ComponentLog } from './log-sink.ts'
import { BASE_IMAGE_ARG, type ContainerSpec } from './spec.ts'
import { startFailed } from './start-failure.ts'

export interface DeploymentContainerOptions {
  spec: ContainerSpec
  baseDir: string
  log: ComponentLog
  redactor: Redactor
  timeoutMs: number
  stopGraceMs: number
  say?: (line: string) => void
}

const DOCKERFILE_HINT = `the Dockerfile starts \`ARG ${BASE_IMAGE_ARG}\` then \`FROM \${${BASE_IMAGE_ARG}}\` (an image of this Node binary: no registry is reachable) and uses COPY, ENV and CMD only (RUN would need a network)`

export class DeploymentContainer {
  readonly name: string
  readonly image: string
  readonly #o: DeploymentContainerOptions
  readonly #started: StartedTestContainer
  #stopping: Promise<void> | null = null

  private constructor(o: DeploymentContainerOptions, image: string, started: StartedTestContainer) {
    this.name = o.spec.name
    this.image = image
    this.#o = o
    this.#started = started
  }

  get containerId(): string {
    return this.#started.getId()
  }

  /** Builds the image and starts the container; ERR_TARGET_START with the output's tail otherwise (nothing left behind). */
  static async start(o: DeploymentContainerOptions): Promise<DeploymentContainer> {
    const { spec, log } = o
    const fail = (why: string, hint: string, cause?: unknown) => startFailed({ name: spec.name, why, log, redactor: o.redactor, hint, cause })
    const context = path.resolve(o.baseDir, spec.context)
    const dockerfile = path.resolve(o.baseDir, spec.dockerfile)
    if (!(await stat(context).catch(() => null))?.isDirectory()) throw fail(`its build context ${context} is not a directory`, 'containers[].context is relative to the profile file')
    if (path.relative(context, dockerfile).startsWith('..') || !(await stat(dockerfile).catch(() => null))?.isFile()) {
      throw fail(`its Dockerfile ${dockerfile} is not a file inside the build context ${context}`, 'containers[].dockerfile names a file inside containers[].context, relative to the profile file')
    }
    const client = await dockerClient()
    const { GenericContainer, Wait } = await import('testcontainers')
    const base = await baseImage(client, o.say)
    const tag = imageTagFor(spec.name)
    try {
      await buildImage(client, { context, dockerfile, tag, buildArgs: { [BASE_IMAGE_ARG]: base }, onLine: (l) => log.write(l) })
    } catch (e) {
      await removeImage(client, tag).catch(() => {})
      throw fail(`its image did not build: ${(e as Error).message}`, DOCKERFILE_HINT, e)
    }
    const mounts = await Promise.all(
      (spec.mounts ?? []).map(async (m) => {
        const source = path.resolve(o.baseDir, m.source)
        await mkdir(source, { recursive: true })
        return { source, target: m.target, mode: m.readOnly ? ('ro' as const) : ('rw' as const) }
      }),
    )
    const wait = 'log' in spec.ready ? Wait.forLogMessage(spec.ready.log) : new CommandWaitStrategy(spec.ready.command)
    const container = new GenericContainer(tag)
      .withName(`gatecrash-${process.pid}-deployment-${spec.name.replace(/[^a-zA-Z0-9_.-]/g, '-')}-${randomBytes(3).toString('hex')}`)
      .withLabels(ownerLabels(`deployment/${spec.name}`))
      .withNetworkMode('host')
      .withEnvironment(spec.env ?? {})
      .withBindMounts(mounts)
      .withWaitStrategy(wait)
      .withStartupTimeout(o.timeoutMs)
      .withLogConsumer((stream) => {
        stream.on('data', log.lines())
        stream.on('error', () => {})
      })
    if (spec.command !== undefined) container.withCommand(spec.command)
    try {
      return new DeploymentContainer(o, tag, await container.start())
    } catch (e) {
      // testcontainers removed the container when its wait failed; the image is ours to remove
      await removeImage(client, tag).catch(() => {})
      const ready = 'log' in spec.ready ? `the line ${JSON.stringify(spec.ready.log)}` : `${JSON.stringify(spec.ready.command)} exiting 0`
      throw fail((e as Error).message, `it is ready on ${ready}, within its timeout; its output is quoted above`, e)
    }
  }

  /** Stops (SIGTERM, SIGKILL after the grace period) and removes the container, then its image. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const client = await dockerClient()
      try {
        await this.#started.stop({ timeout: this.#o.stopGraceMs, remove: true, removeVolumes: true })
      } finally {
        await removeImage(client, this.image).catch((e: Error) => this.#o.say?.(`could not remove image ${this.image}: ${e.message}`))
        await this.#o.log.close()
      }
    })()
    return this.#stopping
  }
}
