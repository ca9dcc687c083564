/**
 * Parent side of one forked component. fork() starts the process at once (so several components
 * can load their code in parallel); start(config) sends the config over IPC and waits for `ready`;
 * call() talks to it; stop() ends it (SIGTERM, then SIGKILL after a grace period). Children run on
 * the parent's Node binary (process.execPath): the system `node` may be an older version.
 *
 * Process faults (docs/architecture.md "Chaos"): kill() is SIGKILL, pause() SIGSTOP (the process keeps its
 * sockets, so peers connect and then hear nothing), resume() SIGCONT, and restart() kills the
 * process and forks a new one that listens on the same port with the last configuration.
 *
 * @example
 * const c = ProcessComponent.fork({ name: 'replay-store', entry })
 * await c.start({})            // → http://127.0.0.1:PORT
 * await c.pause(); await c.resume()
 * await c.restart()            // same PORT, same config, a new pid
 */
import { fork, type ChildProcess } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TargetStartFailed } from '../../harness/contracts/errors.ts'
import type { Component } from './component.ts'
import type { ChildMessage, ParentMessage } from './shared/component-config.ts'

export interface ComponentSpec {
  name: string
  /** absolute path of the component's main.ts */
  entry: string
  readyTimeoutMs?: number
  stopGraceMs?: number
  log?: (line: string) => void
}

const STDERR_TAIL = 4_096
/**
 * Node's on-disk compile cache for the children: a target is 9 processes that load the same
 * modules (undici, jose, the components), and the cache cuts each one's start-up CPU by about a
 * third. An explicit NODE_COMPILE_CACHE (or NODE_DISABLE_COMPILE_CACHE) in the environment wins.
 */
const COMPILE_CACHE = process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'gatecrash-node-compile-cache')

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: Error) => void
}

/** One process of a component: the first one, or the one a restart forked. */
class Incarnation {
  readonly child: ChildProcess
  readonly exited: Promise<void>
  /** resolves once the stdio pipes are drained too (stderr can trail `exit`) */
  readonly closed: Promise<void>
  readonly pending = new Map<number, Pending>()
  stderrTail = ''
  paused = false

  constructor(spec: ComponentSpec) {
    const log = spec.log ?? (() => {})
    this.child = fork(spec.entry, [], {
      execPath: process.execPath,
      execArgv: [],
      env: { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    })
    const forward = (chunk: Buffer, keep: boolean): void => {
      const text = chunk.toString('utf8')
      if (keep) this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL)
      for (const line of text.split('\n')) if (line.trim() !== '') log(`[${spec.name}] ${line}`)
    }
    this.child.stdout?.on('data', (c: Buffer) => forward(c, false))
    this.child.stderr?.on('data', (c: Buffer) => forward(c, true))
    this.child.on('error', () => {}) // reported through start(); without a listener it would throw
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()))
    this.closed = new Promise((resolve) => this.child.once('close', () => resolve()))
    this.child.on('message', (m: ChildMessage) => {
      if (m.type !== 'reply') return
      const p = this.pending.get(m.id)
      this.pending.delete(m.id)
      if (m.ok) p?.resolve(m.value)
      else p?.reject(new Error(`${spec.name}: ${m.error}`))
    })
    void this.exited.then(() => {
      this.paused = false
      for (const p of this.pending.values()) p.reject(new Error(`${spec.name} exited`))
      this.pending.clear()
    })
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  signal(name: NodeJS.Signals): void {
    if (this.running) this.child.kill(name)
  }
}

export class ProcessComponent implements Component {
  readonly name: string
  readonly containerised = false
  readonly #spec: ComponentSpec
  #life: Incarnation
  #config: unknown = undefined
  #configured = false
  #port = 0
  #url: string | null = null
  #internalPort = 0
  #internalUrl: string | undefined = undefined
  #nextCall = 1
  #stopping: Promise<void> | null = null
  #restarting: Promise<void> | null = null

  private constructor(spec: ComponentSpec) {
    this.name = spec.name
    this.#spec = spec
    this.#life = new Incarnation(spec)
  }

  static fork(spec: ComponentSpec): ProcessComponent {
    return new ProcessComponent(spec)
  }

  /** pid of the current process (a restart changes it) */
  get pid(): number | undefined {
    return this.#life.child.pid
  }

  get url(): string {
    if (this.#url === null) throw new TypeError(`${this.name} has not started`)
    return this.#url
  }

  get internalUrl(): string | undefined {
    return this.#internalUrl
  }

  get running(): boolean {
    return this.#life.running
  }

  /** stopped by SIGSTOP and not resumed yet */
  get paused(): boolean {
    return this.#life.paused && this.#life.running
  }

  /** Sends the config and waits for `ready`; on failure the child is killed and ERR_TARGET_START thrown. */
  start(config: unknown): Promise<string> {
    this.#config = config
    this.#configured = true
    const life = this.#life
    const child = life.child
    const timeoutMs = this.#spec.readyTimeoutMs ?? 10_000
    return new Promise<string>((resolve, reject) => {
      let settled = false
      const cleanup = (): void => {
        clearTimeout(timer)
        child.off('exit', onExit)
        child.off('error', onError)
        child.off('message', onMessage)
      }
      const failed = (why: string): void => {
        if (settled) return
        settled = true
        cleanup()
        child.kill('SIGKILL')
        void Promise.race([life.closed, new Promise((r) => setTimeout(r, 500))]).then(() => {
          const tail = life.stderrTail.trim()
          reject(new TargetStartFailed(`${this.name} did not start: ${why}${tail !== '' ? `\n--- ${this.name} stderr (tail) ---\n${tail}` : ''}`, {
            hint: `the component's entry is ${this.#spec.entry}; its stderr is quoted above when it wrote any`,
          }))
        })
      }
      const onExit = (code: number | null, signal: string | null): void => failed(`exited early (code ${code}, signal ${signal})`)
      const onError = (e: Error): void => failed(`could not spawn: ${e.message}`)
      const onMessage = (m: ChildMessage): void => {
        if (m.type === 'failed') failed(m.message)
        if (m.type !== 'ready' || settled) return
        settled = true
        cleanup()
        this.#url = m.url
        this.#port = Number(new URL(m.url).port)
        if (m.internalUrl !== undefined) {
          this.#internalUrl = m.internalUrl
          this.#internalPort = Number(new URL(m.internalUrl).port)
        }
        resolve(m.url)
      }
      const timer = setTimeout(() => failed(`no ready message within ${timeoutMs} ms`), timeoutMs)
      child.once('exit', onExit)
      child.once('error', onError)
      child.on('message', onMessage)
      if (!life.running) return failed('exited before it was configured')
      child.send({ type: 'start', config, ...(this.#port !== 0 ? { port: this.#port } : {}), ...(this.#internalPort !== 0 ? { internalPort: this.#internalPort } : {}) } satisfies ParentMessage)
    })
  }

  /** Sends a `call` to the child and waits for its reply. */
  call(method: string, params: unknown, timeoutMs = 5_000): Promise<unknown> {
    const id = this.#nextCall++
    const life = this.#life
    if (!life.running) return Promise.reject(new Error(`${this.name}: ${method}: the process is not running`))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        life.pending.delete(id)
        reject(new Error(`${this.name}: ${method} timed out`))
      }, timeoutMs)
      life.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      })
      life.child.send({ type: 'call', id, method, params } satisfies ParentMessage)
    })
  }

  /** SIGKILL: no flush, no goodbye (buffered evidence is lost). Resolves once the process is gone. */
  async kill(): Promise<void> {
    const life = this.#life
    life.signal('SIGKILL')
    await life.exited
  }

  /** SIGSTOP: the process stops answering but keeps its sockets. No-op when it is not running. */
  async pause(): Promise<void> {
    const life = this.#life
    if (!life.running) return
    life.child.kill('SIGSTOP')
    life.paused = true
  }

  /** SIGCONT. No-op when it is not running. */
  async resume(): Promise<void> {
    const life = this.#life
    if (!life.running) return
    life.child.kill('SIGCONT')
    life.paused = false
  }

  /**
   * Kills the process (paused or not) and starts a new one on the same port, with `config` (default:
   * the last one). Whatever state the component keeps in memory only is gone; see adapter.ts for
   * what each component keeps across a restart.
   */
  restart(config: unknown = this.#config): Promise<void> {
    if (this.#stopping !== null) return Promise.reject(new TypeError(`${this.name} was stopped; it cannot be restarted`))
    if (!this.#configured) return Promise.reject(new TypeError(`${this.name} never started; start it first`))
    const run = (async () => {
      await this.#restarting?.catch(() => {})
      await this.kill()
      this.#life = new Incarnation(this.#spec)
      await this.start(config)
    })()
    this.#restarting = run
    return run
  }

  /** SIGTERM (the child flushes its evidence), then SIGKILL after the grace period. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#restarting?.catch(() => {})
      const life = this.#life
      if (!life.running) return
      // a stopped process would not act on SIGTERM until continued
      if (life.paused) life.child.kill('SIGCONT')
      life.child.kill('SIGTERM')
      const timer = setTimeout(() => life.signal('SIGKILL'), this.#spec.stopGraceMs ?? 3_000)
      await life.exited
      clearTimeout(timer)
    })()
    return this.#stopping
  }
}
