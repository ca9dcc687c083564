import { CATALOG, CATALOG_VERSION } from '../../harness/attacks/catalog.ts'
import { ISSUED_TOKEN_CHECKS } from '../../harness/attacks/catalog/issued-token-checks.ts'
import { ATTACK_MODULES } from '../../harness/attacks/modules.ts'
import { EXIT } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'

export async function catalogCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { json: { type: 'boolean', default: false } }, 'catalog')
  const cases = CATALOG.map((c) => ({ ...c, generator: ATTACK_MODULES.has(c.id) }))
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ version: CATALOG_VERSION, cases, checks: ISSUED_TOKEN_CHECKS }, null, 2)}\n`)
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
  // checks run on every token of every run: nothing to select, so they are listed apart
  const checks = ISSUED_TOKEN_CHECKS.map((c) => [c.id, c.grading.toUpperCase(), c.rule, [...c.refs, ...c.owasp].join(', ')])
  const checkHead = ['check', 'grading', 'every issued token', 'rule']
  const cw = checkHead.map((h, i) => Math.max(h.length, ...checks.map((r) => r[i].length)))
  const cfmt = (r: string[]) => r.map((v, i) => v.padEnd(cw[i])).join('  ').trimEnd()
  process.stdout.write(`\n${ISSUED_TOKEN_CHECKS.length} issued-token checks (every token the run receives)\n\n${cfmt(checkHead)}\n${cfmt(cw.map((w) => '-'.repeat(w)))}\n${checks.map(cfmt).join('\n')}\n`)
  return EXIT.ready
}
