import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The layering rules of docs/architecture.md "Layout", in the spirit of Playwright's DEPS.list
 * files: each top-level folder of harness/ lists in its DEPS.list the folders it may import
 * (besides itself); a folder without one is a new folder nobody has placed yet, which fails too.
 * harness/index.ts is the public API and may import anything in harness/. The engine never imports
 * targets/, reports/ or cli/, and only the CLI exits the process.
 */
async function sources(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...(await sources(p)))
    else if (e.name.endsWith('.ts')) out.push(p)
  }
  return out
}

/** Relative module specifiers of a file: static and type imports, re-exports, dynamic imports. */
function importsOf(text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)) {
    const spec = m[1] ?? m[2] ?? m[3]
    if (spec.startsWith('.')) out.push(spec)
  }
  return out
}

async function readDeps(folder: string): Promise<Set<string> | null> {
  try {
    const text = await readFile(path.join('harness', folder, 'DEPS.list'), 'utf8')
    return new Set(text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')))
  } catch {
    return null
  }
}

/** Every import of harness/ that its folder's DEPS.list does not allow, as `file → specifier (why)`. */
export async function layeringViolations(root = 'harness'): Promise<string[]> {
  const offenders: string[] = []
  const deps = new Map<string, Set<string> | null>()
  for (const file of await sources(root)) {
    const rel = path.relative(root, file).split(path.sep)
    const folder = rel.length > 1 ? rel[0] : null
    if (folder !== null && !deps.has(folder)) deps.set(folder, await readDeps(folder))
    const allowed = folder === null ? null : deps.get(folder)
    if (folder !== null && allowed === null) {
      offenders.push(`${file}: harness/${folder}/ has no DEPS.list (place the new folder in the layering)`)
      continue
    }
    for (const spec of importsOf(await readFile(file, 'utf8'))) {
      const target = path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep)
      if (target[0] === '..') {
        const fromRepo = '/' + target.slice(1).join('/')
        if (!allowed?.has(fromRepo)) offenders.push(`${file} → ${spec} (outside harness/)`)
        continue
      }
      if (folder === null) continue // index.ts: the public API re-exports from anywhere
      const other = target.length > 1 ? target[0] : `${target[0]} (harness root)`
      if (other !== folder && !allowed!.has(other)) offenders.push(`${file} → ${spec} (${folder}/ may not import ${other}; see harness/${folder}/DEPS.list)`)
    }
  }
  return offenders
}

describe('docs/architecture.md layout rules', () => {
  it('every import in harness/ is allowed by its folder\'s DEPS.list (and none leaves harness/ for targets/, reports/ or cli/)', async () => {
    expect(await layeringViolations()).toEqual([])
  })

  it('contracts/ imports nothing else of the harness', async () => {
    expect([...((await readDeps('contracts')) ?? ['no DEPS.list'])]).toEqual([])
  })

  it('load/ imports neither attacks/ nor run/', async () => {
    const deps = await readDeps('load')
    expect(deps?.has('attacks') || deps?.has('run')).toBe(false)
  })

  it('no two folders may import each other (the allow-lists form layers)', async () => {
    const folders = (await readdir('harness', { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)
    const cycles: string[] = []
    for (const a of folders) for (const b of (await readDeps(a)) ?? []) if ((await readDeps(b))?.has(a)) cycles.push(`${a} ⇄ ${b}`)
    expect(cycles).toEqual([])
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
