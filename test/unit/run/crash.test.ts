import { spawnSync } from 'node:child_process'
import { access, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { regrade } from '../../../harness/run/regrade.ts'
import { contextFor } from './crash-fixtures.ts'
import { scratch, removeScratch } from './store-fixtures.ts'

afterAll(removeScratch)

const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url))

/** Runs crash-writer.ts in a process of its own and returns the run directory it died in. */
async function crashedRun(attempts: number, withEvidence: boolean): Promise<string> {
  const dir = await scratch('gatecrash-crash-')
  await writeFile(path.join(dir, 'context.json'), JSON.stringify(contextFor(dir)))
  const r = spawnSync(process.execPath, [writer, path.join(dir, 'run.db'), String(attempts), withEvidence ? '1' : '0'], { encoding: 'utf8' })
  expect(r.signal, r.stderr).toBe('SIGKILL')
  return dir
}

describe('docs/architecture.md: a crashed run leaves a readable store that `gatecrash report` grades', () => {
  test('killed while finalizing: run.db + WAL, no run.json → graded from what was committed, verdict incomplete', async () => {
    const dir = await crashedRun(1_500, true)
    // the process never closed the store: its last transactions are only in the WAL
    expect((await stat(path.join(dir, 'run.db-wal'))).size).toBeGreaterThan(0)
    await expect(access(path.join(dir, 'run.json'))).rejects.toThrow()

    const run = await regrade(dir, { reporters: [], log: () => {} })
    expect(run.verdict).toBe('incomplete')
    expect(run.stopped).toContain('ended before it was finalized')
    // everything committed is there; the one attempt still buffered at the kill is not
    expect(run.load).toMatchObject({ attempts: 1_500, legit: 1_125, attacks: 375 })
    expect(run.evidence).toMatchObject({ records: 1_500, matched: 1_500, tampered: 0 })
    expect(run.cases.find((c) => c.id === 'escalate.tool-scope')).toMatchObject({ attempts: 375, verdict: 'pass' })
    expect(JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')).verdict).toBe('incomplete')
  })

  test('killed while measuring (no evidence read yet): every committed attempt is graded, unrecorded, and the run is not ready', async () => {
    const dir = await crashedRun(300, false)
    const run = await regrade(dir, { reporters: [], log: () => {} })
    expect(run.load.attempts).toBe(300)
    expect(run.stopped).toContain('ended before it was finalized')
    expect(run.legit.counts).toEqual({ unrecorded: 225 })
    // without evidence the coverage gate cannot hold: a failing gate outranks `incomplete`
    expect(run.verdict).toBe('not-ready')
    expect(run.gates.find((g) => g.metric === 'gatecrash_evidence_coverage')).toMatchObject({ ok: false, observed: 0 })
  })
})
