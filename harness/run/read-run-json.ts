/**
 * A finished run's run.json, read back for comparison (`gatecrash diff`, `run --baseline`). Only the
 * schema marker is checked: run.json is this tool's own output, and a run from an older version
 * lacks optional fields the comparison already treats as absent.
 */
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { RunDirFailed } from '../contracts/errors.ts'
import { RUN_SCHEMA, type RunJson } from '../contracts/run-json.ts'
import { RUN_FILES } from './run-dir.ts'

/** `where`: a run directory, or its run.json itself */
export async function readRunJson(where: string): Promise<RunJson> {
  const file = (await stat(where).then((s) => s.isFile(), () => false)) ? where : path.join(where, RUN_FILES.runJson)
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (e) {
    throw new RunDirFailed(`${where} is not a finished gatecrash run (no readable ${RUN_FILES.runJson}: ${(e as Error).message})`, {
      cause: e,
      hint: 'pass a folder under runs/ written by `gatecrash run`; a run that died before finalizing gets its run.json from `gatecrash report <run-dir>`',
    })
  }
  const schema = (parsed as { schema?: unknown } | null)?.schema
  if (schema !== RUN_SCHEMA) throw new RunDirFailed(`${file} is not a gatecrash run.json (schema ${JSON.stringify(schema)}, expected ${RUN_SCHEMA})`, { hint: 'pass a folder under runs/ written by `gatecrash run`' })
  return parsed as RunJson
}
