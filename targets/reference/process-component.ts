/**
 * Parent side of one forked component. fork() starts the process at once (so several components
 * can load their code in parallel); start(config) sends the config over IPC and waits for `ready`;
 * call() talks to it; stop() ends it (SIGTERM, then SIGKILL after a grace period). Children run on
 * the parent's Node binary (process.execPath): the system `node` may be an older version.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TargetStartFailed } from '../../harness/errors.ts'
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

export class ProcessComponent {
  readonly name: string
  readonly #spec: ComponentSpec
  readonly #child: ChildProcess
  readonly #exited: Promise<void>
  /** resolves once the stdio pipes are drained too (stderr can trail `exit`) */
  readonly #closed: Promise<void>
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  #stderrTail = ''
  #url: string | null = null
  #nextCall = 1
  #stopping: Promise<void> | null = null

  private constructor(spec: ComponentSpec) {
    this.name = spec.name
    this.#spec = spec
    const log = spec.log ?? (() => {})
    this.#child = fork(spec.entry, [], {
      execPath: process.execPath,
      execArgv: [],
      env: { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    })
    const forward = (chunk: Buffer, keep: boolean): void => {
      const text = chunk.toString('utf8')
      if (keep) this.#stderrTail = (this.#stderrTail + text).slice(-STDERR_TAIL)
      for (const line of text.split('\n')) if (line.trim() !== '') log(`[${spec.name}] ${line}`)
    }
    this.#child.stdout?.on('data', (c: Buffer) => forward(c, false))
    this.#child.stderr?.on('data', (c: Buffer) => forward(c, true))
    this.#child.on('error', () => {}) // reported through start(); without a listener it would throw
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()))
    this.#closed = new Promise((resolve) => this.#child.once('close', () => resolve()))
    this.#child.on('message', (m: ChildMessage) => {
      if (m.type !== 'reply') return
      const p = this.#pending.get(m.id)
      this.#pending.delete(m.id)
      if (m.ok) p?.resolve(m.value)
      else p?.reject(new Error(`${spec.name}: ${m.error}`))
    })
    void this.#exited.then(() => {
      for (const p of this.#pending.values()) p.reject(new Error(`${spec.name} exited`))
      this.#pending.clear()
    })
  }

  static fork(spec: ComponentSpec): ProcessComponent {
    return new ProcessComponent(spec)
  }

  get pid(): number | undefined {
    return this.#child.pid
  }

  get url(): string {
    if (this.#url === null) throw new TypeError(`${this.name} has not started`)
    return this.#url
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null
  }

  /** Sends the config and waits for `ready`; on failure the child is killed and ERR_TARGET_START thrown. */
  start(config: unknown): Promise<string> {
    const child = this.#child
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
        void Promise.race([this.#closed, new Promise((r) => setTimeout(r, 500))]).then(() => {
          const tail = this.#stderrTail.trim()
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
        resolve(m.url)
      }
      const timer = setTimeout(() => failed(`no ready message within ${timeoutMs} ms`), timeoutMs)
      child.once('exit', onExit)
      child.once('error', onError)
      child.on('message', onMessage)
      if (!this.running) return failed('exited before it was configured')
      child.send({ type: 'start', config } satisfies ParentMessage)
    })
  }

  /** Sends a `call` to the child and waits for its reply. */
  call(method: string, params: unknown, timeoutMs = 5_000): Promise<unknown> {
    const id = this.#nextCall++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new Error(`${this.name}: ${method} timed out`))
      }, timeoutMs)
      this.#pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      })
      this.#child.send({ type: 'call', id, method, params } satisfies ParentMessage)
    })
  }

  /** SIGTERM (the child flushes its evidence), then SIGKILL after the grace period. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (!this.running) return
      this.#child.kill('SIGTERM')
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), this.#spec.stopGraceMs ?? 3_000)
      await this.#exited
      clearTimeout(timer)
    })()
    return this.#stopping
  }
}
