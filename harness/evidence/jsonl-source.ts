/**
 * Evidence source over a JSONL file the deployment appends its own audit records to, one JSON
 * object per line, mapped onto EvidenceRecord by the target's mapping (mapping.ts). The records carry
 * no hash chain: the source is `unchained` and has no heads().
 *
 * pages(after) reads from the cursor (jsonl-cursor.ts) in bounded pages (jsonl-page.ts) to the end
 * of what the file holds. The live tail calls it every second, so a call that finds nothing new
 * costs one stat. What happens when the file changes under the reader:
 * - appended: read from the cursor on; a last line without its newline waits for the next read;
 * - rotated (a new file at the path): the old file is read to its end through the handle kept open
 *   from the last read, then the new file from its start; without such a handle (a cursor from
 *   another process) the rest of the old file is lost, and a warning says so;
 * - truncated (smaller than the cursor, or its first bytes changed): read again from its start, and
 *   a warning says lines written between the last read and the truncation were lost;
 * - missing: read as empty (cursor unchanged) until it appears, with a warning; the first read
 *   waits up to `waitForFile` for it, since a deployment may create its log on its first write.
 * Each of these warnings, and every line that could not be mapped, rides on the page (EvidencePage
 * `problems`).
 */
import { open, stat, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { parseDuration } from '../contracts/duration.ts'
import { EvidenceMappingInvalid, EvidenceUnavailable } from '../contracts/errors.ts'
import type { EvidencePage, EvidenceSource } from '../contracts/evidence-source.ts'
import type { JsonlSourceSpec } from '../contracts/target.ts'
import { decodeCursor, encodeCursor, sameStart, startOf, type JsonlPosition } from './jsonl-cursor.ts'
import { readPage, type PageLimits, type ReadPage } from './jsonl-page.ts'
import { compileMapping } from './mapping.ts'
import { ProblemLog } from './problems.ts'

export interface JsonlSourceOptions {
  /** the file that declared the source (a target profile), for messages */
  declaredIn?: string
  /** page bounds (default 5,000 lines, 8 MiB) */
  limits?: Partial<PageLimits>
}

const DEFAULT_LIMITS: PageLimits = { lines: 5000, bytes: 8 * 1024 * 1024 }
/** per pages() call, as the HTTP source: a writer faster than the reader is caught up with next call */
const MAX_PAGES = 10_000
const WAIT_POLL_MS = 100

/** Open files by identity, kept between reads so a rotated file can still be read to its end. */
class Handles {
  readonly #open = new Map<string, { handle: FileHandle; users: number; retired: boolean }>()

  held(key: string): boolean {
    return this.#open.has(key)
  }

  /** The handle of file `key`, opened from `file` if none is held (null: the path is another file by now). */
  async acquire(key: string, file: string): Promise<FileHandle | null> {
    let entry = this.#open.get(key)
    if (!entry) {
      const handle = await open(file, 'r')
      const st = await handle.stat({ bigint: true })
      if (`${st.dev}:${st.ino}` !== key) {
        await handle.close()
        return null
      }
      entry = { handle, users: 0, retired: false }
      this.#open.set(key, entry)
    }
    entry.users++
    return entry.handle
  }

  async release(key: string): Promise<void> {
    const entry = this.#open.get(key)
    if (entry && --entry.users === 0 && entry.retired) await this.#close(key)
  }

  /** Closes file `key` once no read uses it (a concurrent page may still be reading it). */
  async retire(key: string): Promise<void> {
    const entry = this.#open.get(key)
    if (!entry) return
    entry.retired = true
    if (entry.users === 0) await this.#close(key)
  }

  async #close(key: string): Promise<void> {
    const entry = this.#open.get(key)
    this.#open.delete(key)
    await entry?.handle.close().catch(() => {})
  }

  async closeAll(): Promise<void> {
    for (const key of [...this.#open.keys()]) await this.#close(key)
  }
}

export function jsonlSource(spec: JsonlSourceSpec, options: JsonlSourceOptions = {}): EvidenceSource {
  const declaredIn = options.declaredIn ?? 'the target profile'
  if (typeof spec.file !== 'string' || spec.file === '') {
    throw new EvidenceMappingInvalid(`${declaredIn}: \`evidence.file\` is not a file path`, { file: declaredIn, key: 'evidence.file', hint: 'allowed: the path of the JSONL file the deployment writes its audit records to' })
  }
  const wait = spec.waitForFile ?? '5s'
  const waitMs = typeof wait === 'string' || typeof wait === 'number' ? parseDuration(wait) : null
  if (waitMs === null) {
    throw new EvidenceMappingInvalid(`${declaredIn}: \`evidence.waitForFile\` is ${JSON.stringify(spec.waitForFile)}`, { file: declaredIn, key: 'evidence.waitForFile', hint: "allowed: a k6 duration such as '5s'" })
  }
  const mapping = compileMapping(spec.mapping, { file: declaredIn, key: 'evidence.mapping' })
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  const file = path.resolve(spec.file)
  const name = spec.file
  const handles = new Handles()
  let waited = false

  const identity = async (): Promise<{ key: string; size: number } | null> => {
    try {
      const st = await stat(file, { bigint: true })
      return { key: `${st.dev}:${st.ino}`, size: Number(st.size) }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new EvidenceUnavailable(`evidence file ${name}: ${(e as Error).message}`, { cause: e, hint: 'the harness must be able to read the file the deployment writes its audit records to' })
    }
  }

  async function waitForFile(): Promise<void> {
    const until = Date.now() + waitMs!
    while ((await identity()) === null && Date.now() < until) await new Promise((r) => setTimeout(r, WAIT_POLL_MS))
  }

  /** One page from `pos` (null: the file's start), following rotation and truncation. */
  async function step(pos: JsonlPosition | null, problems: ProblemLog): Promise<Omit<ReadPage, 'pos'> & { pos: JsonlPosition | null }> {
    const now = await identity()
    if (now === null) {
      problems.warn(`evidence file ${name} did not exist at some reads: read as empty until it appeared`)
      return { records: [], pos, more: false }
    }
    if (pos === null) pos = startOf(now.key)
    if (pos.file !== now.key) {
      if (handles.held(pos.file)) {
        const old = pos.file
        const page = await readFrom(old, pos, problems, true)
        if (page && page.pos.offset > pos.offset) return { ...page, more: true }
        problems.warn(`evidence file ${name} was rotated: the old file was read to its end (line ${pos.line}), then the new one from its start`)
        await handles.retire(old)
      } else {
        problems.warn(`evidence file ${name} was replaced (rotated) after line ${pos.line}: lines written to the old file after that were not read`)
      }
      pos = startOf(now.key)
    }
    // the live tail's every second: nothing new costs one stat
    if (now.size === pos.offset) return { records: [], pos, more: false }
    return (await readFrom(now.key, pos, problems, false)) ?? { records: [], pos, more: false }
  }

  /** Reads a page of file `key` through its handle; null when the path no longer names that file. */
  async function readFrom(key: string, pos: JsonlPosition, problems: ProblemLog, draining: boolean): Promise<ReadPage | null> {
    const handle = await handles.acquire(key, file).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null
      throw new EvidenceUnavailable(`evidence file ${name}: ${e.message}`, { cause: e, hint: 'the harness must be able to read the file the deployment writes its audit records to' })
    })
    if (!handle) return null
    try {
      const size = Number((await handle.stat({ bigint: true })).size)
      if (!draining && (size < pos.offset || !(await sameStart(handle, pos)))) {
        problems.warn(`evidence file ${name} was truncated or rewritten after line ${pos.line} (byte ${pos.offset}): read again from its start; lines written between the last read and the truncation were lost`)
        pos = startOf(key, pos.gen + 1)
      }
      return await readPage(handle, pos, size, mapping, problems, limits)
    } finally {
      await handles.release(key)
    }
  }

  return {
    kind: 'jsonl',
    integrity: 'unchained',
    async *pages(after: string | null = null): AsyncGenerator<EvidencePage> {
      if (!waited) {
        waited = true
        await waitForFile()
      }
      let pos = after === null ? null : decodeCursor(after)
      for (let page = 0; page < MAX_PAGES; page++) {
        const problems = new ProblemLog()
        const read = await step(pos, problems)
        pos = read.pos
        yield { records: read.records, cursor: pos === null ? null : encodeCursor(pos), problems: problems.snapshot() }
        if (!read.more) return
      }
    },
    close: () => handles.closeAll(),
  }
}
