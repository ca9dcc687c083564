/**
 * One reference-target component run in a container through testcontainers, with the same surface
 * as a forked one (component.ts): the component's own main.ts runs on the imported Node base image
 * (docker.ts) with the repository bind-mounted read-only at its own path, host networking, and
 * 127.0.0.1:PORT, PORT picked here before the first start and kept across restarts.
 *
 * Process faults go through testcontainers and its runtime client (dockerode underneath):
 * kill() is `docker kill` (SIGKILL), pause()/resume() Docker pause/unpause (the cgroup freezer: the
 * sockets stay open, peers connect and then hear nothing, as with SIGSTOP), restart() the
 * container's restart (same port, same config; memory-only state is gone), stop() stops and removes
 * the container.
 *
 * There is no IPC channel into a container: the start message travels in the container's
 * environment, which `docker inspect` shows, so only components whose configuration holds no
 * secret may run here (CONTAINER_COMPONENTS in adapter.ts), and no `call()` is offered.
 *
 * @example
 * const c = new ContainerComponent({ name: 'replay-store', entry, repoRoot, log })
 * await c.start({})                 // → http://127.0.0.1:PORT, in container gatecrash-<pid>-replay-store-…
 * await c.pause(); await c.resume() // docker pause / unpause
 * await c.restart()                 // same PORT, empty store
 */
import { randomBytes } from 'node:crypto'
import { createServer, type AddressInfo } from 'node:net'
import type { Readable } from 'node:stream'
import type { StartedTestContainer } from 'testcontainers'
import { TargetStartFailed } from '../../../harness/contracts/errors.ts'
import type { Component } from '../component.ts'
import { CONTAINER_READY, CONTAINER_START_ENV } from '../shared/child-main.ts'
import { baseImage, dockerClient, IMAGE_NODE, ownerLabels } from './docker.ts'

export interface ContainerComponentSpec {
  name: string
  /** absolute path of the component's main.ts (inside repoRoot) */
  entry: string
  /** bind-mounted read-only at the same path, so the entry's imports and node_modules resolve */
  repoRoot: string
  /** bind-mounted read-write at the same path (a component keeping files there, e.g. the sink) */
  dataDir?: string
  readyTimeoutMs?: number
  stopGraceMs?: number
  log?: (line: string) => void
}

const STDERR_TAIL = 4_096

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export class ContainerComponent implements Component {
  readonly name: string
  readonly containerised = true
  /** the components run in containers (CONTAINER_COMPONENTS) have no internal listener */
  readonly internalUrl = undefined
  readonly #spec: ContainerComponentSpec
  #container: StartedTestContainer | null = null
  #config: unknown = undefined
  #port = 0
  #url: string | null = null
  #running = false
  #paused = false
  #tail = ''
  #stopping: Promise<void> | null = null
  #restarting: Promise<void> | null = null

  constructor(spec: ContainerComponentSpec) {
    this.name = spec.name
    this.#spec = spec
  }

  get pid(): number | undefined {
    return undefined
  }

  get url(): string {
    if (this.#url === null) throw new TypeError(`${this.name} has not started`)
    return this.#url
  }

  get running(): boolean {
    return this.#running
  }

  get paused(): boolean {
    return this.#paused && this.#running
  }

  /** the container's id once started (tests inspect it through the Docker API) */
  get containerId(): string | undefined {
    return this.#container?.getId()
  }

  #forward(stream: Readable): void {
    const log = this.#spec.log ?? (() => {})
    stream.on('data', (chunk: Buffer | string) => {
      const text = chunk.toString()
      this.#tail = (this.#tail + text).slice(-STDERR_TAIL)
      for (const line of text.split('\n')) if (line.trim() !== '' && !line.startsWith(CONTAINER_READY)) log(`[${this.name}] ${line}`)
    })
    stream.on('error', () => {})
  }

  #failed(why: string, e: unknown): TargetStartFailed {
    const tail = this.#tail.trim()
    return new TargetStartFailed(`${this.name} (container) did not start: ${why}${tail !== '' ? `\n--- ${this.name} output (tail) ---\n${tail}` : ''}`, {
      cause: e,
      hint: `the component's entry is ${this.#spec.entry}, run on the image built from this Node binary; its output is quoted above when it wrote any`,
    })
  }

  /** Starts the container with `config` and waits for the component's ready line. */
  async start(config: unknown): Promise<string> {
    this.#config = config
    const client = await dockerClient()
    const { GenericContainer, Wait } = await import('testcontainers')
    const image = await baseImage(client, this.#spec.log)
    if (this.#port === 0) this.#port = await freePort()
    const mounts: { source: string; target: string; mode: 'ro' | 'rw' }[] = [{ source: this.#spec.repoRoot, target: this.#spec.repoRoot, mode: 'ro' }]
    if (this.#spec.dataDir !== undefined) mounts.push({ source: this.#spec.dataDir, target: this.#spec.dataDir, mode: 'rw' })
    const uid = process.getuid?.()
    const gid = process.getgid?.()
    let container = new GenericContainer(image)
      .withName(`gatecrash-${process.pid}-${this.name.replace(/[^a-zA-Z0-9_.-]/g, '-')}-${randomBytes(3).toString('hex')}`)
      .withLabels(ownerLabels(this.name))
      .withNetworkMode('host')
      .withBindMounts(mounts)
      .withWorkingDir(this.#spec.repoRoot)
      .withEnvironment({ [CONTAINER_START_ENV]: JSON.stringify({ config, port: this.#port }), NODE_COMPILE_CACHE: '/tmp/node-compile-cache' })
      .withCommand([IMAGE_NODE, this.#spec.entry])
      .withWaitStrategy(Wait.forLogMessage(CONTAINER_READY))
      .withStartupTimeout(this.#spec.readyTimeoutMs ?? 15_000)
      .withLogConsumer((stream) => this.#forward(stream))
    // files the component writes in a bind-mounted dataDir belong to the harness's user
    if (uid !== undefined && gid !== undefined) container = container.withUser(`${uid}:${gid}`)
    try {
      this.#container = await container.start()
    } catch (e) {
      throw this.#failed((e as Error).message, e)
    }
    this.#running = true
    this.#paused = false
    this.#url = `http://127.0.0.1:${this.#port}`
    return this.#url
  }

  call(method: string): Promise<unknown> {
    return Promise.reject(new Error(`${this.name}: ${method}: a component in a container takes no calls (no IPC channel)`))
  }

  #docker() {
    const started = this.#container
    if (started === null) throw new TypeError(`${this.name} has not started`)
    return dockerClient().then((client) => client.container.getById(started.getId()))
  }

  /** `docker kill` (SIGKILL): resolves once the container has exited. No-op when it is not running. */
  async kill(): Promise<void> {
    if (!this.#running) return
    const c = await this.#docker()
    if (this.#paused) await c.unpause() // a frozen process would take the signal only once thawed
    this.#paused = false
    await c.kill().catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 409) throw e // 409: not running any more
    })
    await c.wait()
    this.#running = false
  }

  /** Docker pause (cgroup freezer). No-op when it is not running. */
  async pause(): Promise<void> {
    if (!this.#running || this.#paused) return
    await (await this.#docker()).pause()
    this.#paused = true
  }

  /** Docker unpause. No-op when it is not running or not paused. */
  async resume(): Promise<void> {
    if (!this.#running || !this.#paused) return
    await (await this.#docker()).unpause()
    this.#paused = false
  }

  /**
   * Restarts the container (paused, killed or running) on the same port with the same config; a
   * different `config` means a new container (a container's environment is fixed), same port.
   */
  restart(config: unknown = this.#config): Promise<void> {
    if (this.#stopping !== null) return Promise.reject(new TypeError(`${this.name} was stopped; it cannot be restarted`))
    const started = this.#container
    if (started === null) return Promise.reject(new TypeError(`${this.name} never started; start it first`))
    const run = (async () => {
      await this.#restarting?.catch(() => {})
      if (this.#paused) await (await this.#docker()).unpause()
      this.#paused = false
      if (config !== this.#config) {
        await started.stop({ timeout: 0 })
        this.#running = false
        await this.start(config)
        return
      }
      this.#running = false
      try {
        await started.restart({ timeout: 0 })
      } catch (e) {
        throw this.#failed(`restart: ${(e as Error).message}`, e)
      }
      this.#running = true
      this.#forward(await started.logs({ since: Date.now() / 1000 }))
    })()
    this.#restarting = run
    return run
  }

  /** Unpauses, stops (SIGTERM, SIGKILL after the grace period) and removes the container. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#restarting?.catch(() => {})
      const started = this.#container
      if (started === null) return
      if (this.#paused) await (await this.#docker()).unpause().catch(() => {})
      this.#paused = false
      await started.stop({ timeout: this.#spec.stopGraceMs ?? 3_000, remove: true })
      this.#running = false
    })()
    return this.#stopping
  }
}
