/**
 * The files of a run directory as a bundle sees them: every regular file at any depth (the target's
 * own logs sit in a subfolder), by `/`-separated relative path, except the bundle's envelope and
 * carried public key, which cannot be subjects of the signature they hold or sit beside.
 * A symlink or other special entry is listed apart: its content could change without the
 * directory changing, so signing refuses it and verifying reports it.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { RUN_FILES } from '../run/run-dir.ts'

export const NOT_SUBJECTS: ReadonlySet<string> = new Set([RUN_FILES.bundle, RUN_FILES.bundlePub])

export async function listRunFiles(dir: string): Promise<{ files: string[]; special: string[] }> {
  const files: string[] = []
  const special: string[] = []
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const name = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) await walk(name)
      else if (e.isFile()) {
        if (!NOT_SUBJECTS.has(name)) files.push(name)
      } else special.push(name)
    }
  }
  await walk('')
  // code-unit order, as the subject list is written: the same directory gives the same statement
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return { files, special }
}

/** Streamed: run.db of a long run is large. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256')
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')))
  })
}

/**
 * A subject name from an envelope, resolved inside the run directory, or null when it would leave it
 * (absolute, `..`, a backslash): a hostile envelope must not make the verifier read elsewhere.
 */
export function insideRunDir(dir: string, name: string): string | null {
  if (name === '' || name.includes('\\') || path.posix.isAbsolute(name) || name.split('/').some((p) => p === '..' || p === '.' || p === '')) return null
  return path.join(dir, ...name.split('/'))
}
