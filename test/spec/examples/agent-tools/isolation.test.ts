/**
 * The example deployment is built on the libraries a team would use, not on gatecrash: nothing under
 * targets/examples/agent-tools imports harness/ or targets/reference/.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { expect, test } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../../../..')
const EXAMPLE = path.join(ROOT, 'targets/examples/agent-tools')

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))
}

test('no file of the example imports gatecrash code', () => {
  const offenders: string[] = []
  for (const file of files(EXAMPLE)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1]
      if (!spec.startsWith('.')) continue
      const target = path.relative(ROOT, path.resolve(path.dirname(file), spec))
      if (!target.startsWith('targets/examples/agent-tools/')) offenders.push(`${path.relative(ROOT, file)} → ${spec}`)
    }
  }
  expect(offenders).toEqual([])
})
