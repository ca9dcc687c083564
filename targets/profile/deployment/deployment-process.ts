/**
 * One process of a deployment: spawned without a shell in a process group of its own (detached),
 * with a process mark in its environment (harness/chaos/process-groups.ts), its stdout and stderr
 * into its log, ready once its URL answers. stop() ends the whole group, the child's children too:
 * SIGTERM (with SIGCONT, should it be stopped), SIGKILL after the grace period; processes that left
 * the group but carry the mark go the same way.
 *
 * @example
 * const p = DeploymentProcess.spawn({ spec, baseDir, log, mark, stopGraceMs: 5_000 })
 * const r = await p.waitReady(60_000, signal)          // { ready: true } or { ready: false, why }
 * await p.stop()
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { groupMembers, markedProcesses, PROCESS_MARK_ENV, signalGroup, signalPid, waitGone } from '../../../harness/chaos/process-groups.ts'
import type { ComponentLog } from './log-sink.ts'
import { waitUntilAnswers, type WaitResult } from './ready-probe.ts'
import type { ProcessSpec } from './spec.ts'

export interface DeploymentProcessOptions {
  spec: ProcessSpec
  /** relative `cwd` resolves here (the profile's folder) */
  baseDir: string
  log: ComponentLog
  mark: string
  stopGraceMs: number
  /** told when the process exits on its own after it was ready */
  onExit?: (why: string) => void
}

/** `node` is the harness's own Node binary: the system one may be older (docs/platform.md). */
export function resolveProgram(program: string): string {
  return program === 'node' ? process.execPath : program
}

const describeExit = (code: number | null, signal: NodeJS.Signals | null): string => (signal !== null ? `killed by ${signal}` : `exit code ${code}`)

export class DeploymentProcess {
  readonly name: string
  readonly #o: DeploymentProcessOptions
  readonly #child: ChildProcess
  readonly #closed: Promise<void>
  #gone: string | null = null
  #ready = false
  #stopping: Promise<void> | null = null

  private constructor(o: DeploymentProcessOptions) {
    this.name = o.spec.name
    this.#o = o
    const [program, ...args] = o.spec.command
    this.#child = spawn(resolveProgram(program), args, {
      cwd: path.resolve(o.baseDir, o.spec.cwd ?? '.'),
      env: { ...process.env, ...o.spec.env, [PROCESS_MARK_ENV]: o.mark },
      detached: true, // its own process group (and session): stopped as a whole, out of reach of the terminal's Ctrl-C
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
    })
    this.#child.stdout?.on('data', o.log.lines())
    this.#child.stderr?.on('data', o.log.lines())
    this.#child.once('error', (e) => {
      this.#gone ??= `could not be started: ${e.message}`
    })
    this.#child.once('exit', (code, signal) => {
      this.#gone ??= `exited early (${describeExit(code, signal)})`
      if (this.#ready && this.#stopping === null) o.onExit?.(`${this.name} exited while the deployment ran (${describeExit(code, signal)}); its output: ${o.log.file}`)
    })
    this.#closed = new Promise((resolve) => {
      this.#child.once('close', () => resolve())
      this.#child.once('error', () => resolve())
    })
  }

  static spawn(o: DeploymentProcessOptions): DeploymentProcess {
    return new DeploymentProcess(o)
  }

  /** the group leader's pid (= its process group id); undefined when it could not be spawned */
  get pid(): number | undefined {
    return this.#child.pid
  }

  /** why it is no longer running (could not spawn, exited), or null */
  get gone(): string | null {
    return this.#gone
  }

  /** Waits until its ready URL answers (< 500) while it runs. */
  async waitReady(timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
    const r = await waitUntilAnswers(this.#o.spec.ready.url, { timeoutMs, signal, gone: () => this.#gone })
    this.#ready = r.ready
    return r
  }

  get #leaderAlive(): boolean {
    return this.#child.pid !== undefined && this.#child.exitCode === null && this.#child.signalCode === null
  }

  /**
   * What is left to stop: the whole group while the leader lives (its group id cannot be anyone
   * else's then), and every process with the mark.
   */
  #left(): number[] {
    const marked = markedProcesses(this.#o.mark)
    const pid = this.#child.pid
    return pid !== undefined && this.#leaderAlive ? [...new Set([...groupMembers(pid), ...marked])] : marked
  }

  #signal(sig: NodeJS.Signals): void {
    const pid = this.#child.pid
    if (pid !== undefined && this.#leaderAlive) signalGroup(pid, sig)
    for (const p of markedProcesses(this.#o.mark)) signalPid(p, sig)
  }

  /** SIGTERM to the group, SIGKILL after the grace period; its log closed. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#left().length > 0) {
        this.#signal('SIGCONT')
        this.#signal('SIGTERM')
        const left = await waitGone(() => this.#left(), this.#o.stopGraceMs, 100)
        if (left.length > 0) {
          this.#o.log.write(`[gatecrash] ${left.length} process(es) still running ${Math.round(this.#o.stopGraceMs / 1000)} s after SIGTERM: SIGKILL`)
          this.#signal('SIGKILL')
          await waitGone(() => this.#left(), 2_000, 100)
        }
      }
      // the pipes close once every process holding them is gone; bounded all the same
      await Promise.race([this.#closed, new Promise((r) => setTimeout(r, 1_000))])
      await this.#o.log.close()
    })()
    return this.#stopping
  }
}
