/**
 * Where a deployment's output goes: one file per component, `<logs dir>/<name>.log`, every line
 * through the run's redactor first. The logs folder sits BESIDE the run directory
 * (`runs/<run-id>.logs/`), never inside it: the run directory is what a board receives, and a
 * third-party server logs what it likes. The folder is 0700 and the files 0600 (created so, and
 * set so when they existed), and a symlink in their place is refused.
 *
 * The last lines (redacted) are kept in memory for a start failure's message.
 *
 * @example
 * const logsDir = logsDirFor(runDir)                    // runs/<run-id>.logs
 * const log = await ComponentLog.open(logsDir, 'as', redactor)
 * child.stdout.on('data', log.lines())                  // split into lines, redacted, appended
 * log.tail()                                            // last lines, redacted
 * await log.close()
 */
import { constants, type WriteStream } from 'node:fs'
import { chmod, lstat, mkdir, open } from 'node:fs/promises'
import path from 'node:path'
import type { Redactor } from '../../../harness/protocol/redact.ts'

const TAIL_LINES = 40
const TAIL_LINE_CHARS = 400
/** a line longer than this is written in pieces (a program printing without newlines) */
const MAX_LINE_CHARS = 64 * 1024

/** The logs folder for a run directory: beside it, never inside it. */
export function logsDirFor(runDir: string): string {
  return `${path.resolve(runDir)}.logs`
}

/** Creates the logs folder (mode 0700, also when it existed). */
export async function openLogsDir(logsDir: string): Promise<string> {
  const dir = path.resolve(logsDir)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const info = await lstat(dir)
  if (!info.isDirectory()) throw new TypeError(`logs folder ${dir} is not a directory`)
  await chmod(dir, 0o700)
  return dir
}

export class ComponentLog {
  readonly file: string
  readonly #redactor: Redactor
  readonly #out: WriteStream
  readonly #tail: string[] = []
  #closed = false
  readonly #flushers = new Set<() => void>()

  private constructor(file: string, out: WriteStream, redactor: Redactor) {
    this.file = file
    this.#out = out
    this.#redactor = redactor
    out.on('error', () => {}) // a full disk must not take the run down; the tail still holds the last lines
  }

  /** Opens `<logsDir>/<name>.log` for appending, mode 0600, never through a symlink. */
  static async open(logsDir: string, name: string, redactor: Redactor): Promise<ComponentLog> {
    const dir = await openLogsDir(logsDir)
    const file = path.join(dir, `${name}.log`)
    const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600)
    await handle.chmod(0o600)
    return new ComponentLog(file, handle.createWriteStream({ encoding: 'utf8' }), redactor)
  }

  /** Writes one line, redacted (also kept for the tail). */
  write(line: string): void {
    if (this.#closed) return
    const clean = this.#redactor.redact(line.replace(/\r$/, ''))
    this.#out.write(`${clean}\n`)
    this.#tail.push(clean.length > TAIL_LINE_CHARS ? `${clean.slice(0, TAIL_LINE_CHARS)}…` : clean)
    if (this.#tail.length > TAIL_LINES) this.#tail.shift()
  }

  /** A `data` listener for one output stream: splits it into lines (each stream keeps its own partial line). */
  lines(): (chunk: Buffer | string) => void {
    let partial = ''
    const flush = (): void => {
      if (partial !== '') this.write(partial)
      partial = ''
    }
    this.#flushers.add(flush)
    return (chunk) => {
      const parts = (partial + chunk.toString()).split('\n')
      partial = parts.pop() ?? ''
      for (const line of parts) this.write(line)
      while (partial.length > MAX_LINE_CHARS) {
        this.write(partial.slice(0, MAX_LINE_CHARS))
        partial = partial.slice(MAX_LINE_CHARS)
      }
    }
  }

  /** The last lines written (redacted), for an error message. */
  tail(): string {
    return this.#tail.join('\n')
  }

  /** Writes what is left of partial lines and closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    for (const flush of this.#flushers) flush()
    this.#closed = true
    await new Promise<void>((resolve) => this.#out.end(() => resolve()))
  }
}
