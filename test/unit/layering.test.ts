import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

// design.md "Layout": the engine never imports targets/ or reports/ (plugins come in through
// interfaces), and only the CLI exits the process.
async function sources(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...(await sources(p)))
    else if (e.name.endsWith('.ts')) out.push(p)
  }
  return out
}

describe('design.md layout rules', () => {
  it('harness/ imports nothing from targets/, reports/ or cli/', async () => {
    const offenders: string[] = []
    for (const file of await sources('harness')) {
      const text = await readFile(file, 'utf8')
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const resolved = path.relative('.', path.resolve(path.dirname(file), m[1]))
        if (m[1].startsWith('.') && /^(targets|reports|cli)\//.test(resolved)) offenders.push(`${file} → ${m[1]}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('only cli/ and bin/ call process.exit', async () => {
    const offenders: string[] = []
    for (const dir of ['harness', 'reports']) {
      for (const file of await sources(dir)) {
        if ((await readFile(file, 'utf8')).includes('process.exit(')) offenders.push(file)
      }
    }
    expect(offenders).toEqual([])
  })
})
