import { CATALOG, CATALOG_VERSION } from '../../harness/attacks/catalog.ts'
import { ATTACK_MODULES } from '../../harness/attacks/modules.ts'
import { EXIT } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'

export async function catalogCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { json: { type: 'boolean', default: false } }, 'catalog')
  const cases = CATALOG.map((c) => ({ ...c, generator: ATTACK_MODULES.has(c.id) }))
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ version: CATALOG_VERSION, cases }, null, 2)}\n`)
    return EXIT.ready
  }
  const rows = cases.map((c) => [
    c.id,
    c.grading.toUpperCase(),
    c.expect.map((e) => `${e.status} ${e.error ?? '(no error code)'}`).join(' | '),
    `deny/${c.evidence.area}`,
    [...c.refs, ...c.owasp].join(', '),
  ])
  const head = ['case', 'grading', 'expected response', 'evidence', 'rule']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const fmt = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()
  process.stdout.write(`gatecrash catalog ${CATALOG_VERSION}: ${cases.length} cases\n\n${fmt(head)}\n${fmt(widths.map((w) => '-'.repeat(w)))}\n${rows.map(fmt).join('\n')}\n`)
  return EXIT.ready
}
