/**
 * A file a user wrote is told apart by what is wrong with it: missing, failing to load, or
 * without a default export, each with a stable code, the file, and a hint (design: "Bad input
 * gets a clear error with a stable code and a hint").
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { importDefault } from '../../../harness/config/import-default.ts'
import { HarnessError } from '../../../harness/contracts/errors.ts'
import { exitCodeForError } from '../../../cli/exit-codes.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gc-import-'))
  await writeFile(path.join(dir, 'ok.ts'), 'export default { name: "x" }\n')
  await writeFile(path.join(dir, 'broken.ts'), 'export default {\n')
  await writeFile(path.join(dir, 'named.ts'), 'export const config = {}\n')
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function refusal(file: string, kind: 'scenario' | 'target profile'): Promise<HarnessError> {
  const e = await importDefault(path.join(dir, file), kind).catch((x: unknown) => x)
  expect(e).toBeInstanceOf(HarnessError)
  return e as HarnessError
}

describe('importDefault', () => {
  test('the default export comes back as it is', async () => {
    expect(await importDefault(path.join(dir, 'ok.ts'), 'scenario')).toEqual({ name: 'x' })
  })

  test.each([
    ['scenario', 'ERR_SCENARIO_LOAD', 'ERR_SCENARIO_INVALID', 'defineScenario', 107],
    ['target profile', 'ERR_PROFILE_LOAD', 'ERR_PROFILE_INVALID', 'defineTarget', 104],
  ] as const)('%s: missing, broken and no default export are three errors with hints', async (kind, loadCode, invalidCode, define, loadExit) => {
    const missing = await refusal('nope.ts', kind)
    expect(missing.code).toBe(loadCode)
    expect(missing.message).toBe(`${kind} file not found: ${path.join(dir, 'nope.ts')}`)
    expect(missing.hint).toContain(define)
    expect(exitCodeForError(missing)).toBe(loadExit)

    const broken = await refusal('broken.ts', kind)
    expect(broken.code).toBe(loadCode)
    expect(broken.message).toMatch(/failed to load/)
    expect(broken.hint).toMatch(/erasable TypeScript/)

    const named = await refusal('named.ts', kind)
    expect(named.code).toBe(invalidCode)
    expect(named.message).toBe(`${path.join(dir, 'named.ts')}: no default export`)
    expect(named.hint).toBe(`end the file with \`export default ${define}({...})\``)
    expect(exitCodeForError(named)).toBe(104)
  })
})
