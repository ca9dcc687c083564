/**
 * How a file a user wrote (a scenario, a target profile) is read: Node 24 imports its TypeScript
 * directly; a missing file, one that fails to load, and one without a default export are each told
 * apart, with a hint naming what the file should look like.
 */
import { access } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ProfileInvalid, ProfileLoadFailed, ScenarioInvalid, ScenarioLoadFailed } from '../contracts/errors.ts'

const KINDS = {
  scenario: { LoadFailed: ScenarioLoadFailed, Invalid: ScenarioInvalid, define: 'defineScenario', word: 'script', notFound: 'pass a path to a .ts or .js file that default-exports defineScenario({...})' },
  'target profile': { LoadFailed: ProfileLoadFailed, Invalid: ProfileInvalid, define: 'defineTarget', word: 'profile', notFound: 'pass --target a built-in name (reference) or the path of a .ts file that default-exports defineTarget({...})' },
} as const

/** the file's default export, unchecked */
export async function importDefault(file: string, kind: keyof typeof KINDS): Promise<unknown> {
  const k = KINDS[kind]
  const abs = path.resolve(file)
  try {
    await access(abs)
  } catch {
    throw new k.LoadFailed(`${kind} file not found: ${file}`, { hint: k.notFound })
  }
  let mod: { default?: unknown }
  try {
    mod = await import(pathToFileURL(abs).href)
  } catch (e) {
    throw new k.LoadFailed(`${file}: the ${k.word} failed to load: ${(e as Error).message}`, {
      cause: e,
      hint: `${kind} files may use erasable TypeScript only (no enums or namespaces) and must import with .ts extensions`,
    })
  }
  if (mod.default === undefined) {
    throw new k.Invalid(`${file}: no default export`, { file, key: '', hint: `end the file with \`export default ${k.define}({...})\`` })
  }
  return mod.default
}
