/**
 * A run's connection options (SessionOptions.connection, a target profile's `hosts` and `tls`) are
 * judged before the run directory is made and before the target starts: a host listed without its
 * acknowledgement is ERR_TARGET_UNSAFE (exit 104), a CA file that cannot be read ERR_TARGET_TLS.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { exitCodeForError } from '../../../cli/exit-codes.ts'
import type { TargetAdapter } from '../../../harness/contracts/target.ts'
import { RunSession } from '../../../harness/run/session.ts'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

const scenario = { file: 'inline.ts', name: 'connection-check', config: { population: { tenants: 1, agents: 1 }, scenarios: {} } } as never
const target: TargetAdapter = {
  name: 'never-started',
  flaws: [],
  start: () => Promise.reject(new Error('the target must not be started')),
}

async function failedCreate(connection: object): Promise<{ error: unknown; entries: string[] }> {
  const outRoot = await mkdtemp(path.join(tmpdir(), 'gatecrash-conn-'))
  dirs.push(outRoot)
  const error = await RunSession.create({ scenario, target, outRoot, connection, log: () => {} }).then(
    () => null,
    (e: unknown) => e,
  )
  return { error, entries: await readdir(outRoot) }
}

describe('SessionOptions.connection', () => {
  test('a listed host without its acknowledgement: ERR_TARGET_UNSAFE, exit 104, no run directory', async () => {
    const { error, entries } = await failedCreate({ hosts: [{ host: 'staging.example.internal', acknowledge: '' }] })
    expect(error).toMatchObject({ code: 'ERR_TARGET_UNSAFE', hint: expect.stringContaining('I own staging.example.internal and may load-test it') })
    expect(exitCodeForError(error)).toBe(104)
    expect(entries).toEqual([])
  })

  test('a CA file that is not there: ERR_TARGET_TLS naming it, no run directory', async () => {
    const { error, entries } = await failedCreate({ tls: { ca: '/nonexistent/gatecrash-ca.pem' } })
    expect(error).toMatchObject({ code: 'ERR_TARGET_TLS', message: expect.stringContaining('/nonexistent/gatecrash-ca.pem') })
    expect(entries).toEqual([])
  })
})
