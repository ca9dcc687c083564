/**
 * Before its digest is taken, run.db must be one self-contained file: the run store is in WAL mode,
 * and committed pages still in run.db-wal would leave the signed run.db short of what the run
 * recorded (and the -wal file, not a subject, would change under the signature the next time SQLite
 * opened it). Checkpointing folds the WAL in; closing the last connection removes -wal and -shm.
 * If they are still there, another process has the store open (a run still going): refuse.
 */
import { access } from 'node:fs/promises'
import { DatabaseSync } from 'node:sqlite'
import path from 'node:path'
import { BundleRefused } from '../contracts/errors.ts'
import { RUN_FILES } from '../run/run-dir.ts'

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false)

export const STORE_SIDE_FILES = ['-wal', '-shm', '-journal'].map((s) => `${RUN_FILES.db}${s}`)

export async function settleRunStore(dir: string): Promise<void> {
  const file = path.join(dir, RUN_FILES.db)
  if (!(await exists(file))) return
  try {
    const db = new DatabaseSync(file, { timeout: 5_000 })
    try {
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    } finally {
      db.close()
    }
  } catch (e) {
    throw new BundleRefused(`cannot checkpoint ${file}: ${(e as Error).message}`, { cause: e, hint: 'the run store must be writable and not in use; wait for the run to end' })
  }
  const left = []
  for (const side of STORE_SIDE_FILES) if (await exists(path.join(dir, side))) left.push(side)
  if (left.length > 0) {
    throw new BundleRefused(`${left.join(' and ')} remain beside ${RUN_FILES.db} after a checkpoint: another process still has the run store open`, {
      hint: 'sign once the run (or `gatecrash report`) using it has ended',
    })
  }
}
