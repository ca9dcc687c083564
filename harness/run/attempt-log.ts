/**
 * The attempt log streams to disk as attempts complete (JSON Lines), so a run that dies midway still
 * leaves everything it measured; `gatecrash report` re-grades from it.
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { AttemptRecord } from '../attempt.ts'

export class AttemptLog {
  readonly file: string
  private out: WriteStream
  private buffer: string[] = []
  count = 0

  constructor(file: string) {
    this.file = file
    this.out = createWriteStream(file, { flags: 'a' })
  }

  append(record: AttemptRecord): void {
    this.buffer.push(JSON.stringify(record))
    this.count++
    if (this.buffer.length >= 256) this.flush()
  }

  flush(): void {
    if (this.buffer.length === 0) return
    this.out.write(this.buffer.join('\n') + '\n')
    this.buffer = []
  }

  async close(): Promise<void> {
    this.flush()
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())))
  }
}

/** Reads a JSON Lines file, skipping a torn last line (a crash mid-write). */
export async function readJsonLines<T>(file: string): Promise<T[]> {
  const text = await readFile(file, 'utf8')
  const out: T[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      out.push(JSON.parse(line) as T)
    } catch {
      // a torn final line from a crash; everything before it is still graded
    }
  }
  return out
}
