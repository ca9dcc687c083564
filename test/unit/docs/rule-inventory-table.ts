/**
 * Reads docs/rule-inventory.md: its rule rows and the counts its header states. The test
 * (rule-inventory.test.ts) holds the page to the catalog with it; run directly it prints the counts:
 *
 *   npx node test/unit/docs/rule-inventory-table.ts
 *   rules: … · MUST: … · MUST covered by a case: … · MUST planned: … · MUST left with another reason: … (of which gap: …)
 *
 * A rule row is a row of a table whose header is exactly RULE_HEADER. Anything in such a table that
 * does not parse (a wrong cell count, a case cell that is not backticked ids, an id of the wrong
 * shape) throws, naming the line: a page a test cannot read must fail, not be skipped.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const RULE_HEADER = '| id | source | § | level | applies to | rule | cases | status | note |'
export const LEVELS = ['MUST', 'SHOULD', 'MAY'] as const
export const STATUSES = ['covered', 'planned', 'gap', 'client-side', 'out-of-scope', 'unobservable', 'harness'] as const
export const APPLIES_TO = [
  'token/exchange', 'token/client_credentials', 'token', 'client-auth', 'register', 'register/manage', 'revoke',
  'as-metadata', 'jwks', 'rs-metadata', 'rs-tools', 'internal',
  'jwt/client-assertion', 'jwt/subject-token', 'jwt/access-token', 'jwt/dpop-proof', 'evidence',
] as const

export type Level = (typeof LEVELS)[number]
export type Status = (typeof STATUSES)[number]

export interface InventoryRow {
  /** 1-based line in the page */
  line: number
  id: string
  source: string
  section: string
  level: Level
  appliesTo: string
  rule: string
  /** catalog case ids; [] for `—` */
  cases: string[]
  status: Status
  note: string
}

export interface InventoryCounts {
  rules: number
  must: number
  mustCovered: number
  mustPlanned: number
  /** MUST rows neither covered nor planned: each states another reason (client-side, gap, …) */
  mustReason: number
  /** of mustReason: observable, no case yet (work items) */
  mustGap: number
}

const RULE_ID = /^R-[0-9A-Z]+(-[0-9A-Za-z.]+)+$/
const CASE_LIST = /^`[^`]+`(, `[^`]+`)*$/
const NONE = '—'

/** The cells of a table row, without the outer pipes; `\|` stays inside a cell. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '')
  return inner.split(/(?<!\\)\|/).map((c) => c.trim())
}

const unquote = (cell: string): string | null => (/^`[^`]+`$/.test(cell) ? cell.slice(1, -1) : null)

export function parseRuleInventory(markdown: string): InventoryRow[] {
  const lines = markdown.split('\n')
  const rows: InventoryRow[] = []
  let inTable = false
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (line === RULE_HEADER) {
      inTable = true
      i++ // the |---| line
      if (!/^\|(\s*-+\s*\|)+$/.test(lines[i]?.trim() ?? '')) throw new Error(`line ${i + 1}: a rule table's header is not followed by its |---| line`)
      continue
    }
    if (!inTable) continue
    if (!line.startsWith('|')) {
      inTable = false
      continue
    }
    const at = `line ${i + 1}`
    const c = cells(line)
    if (c.length !== 9) throw new Error(`${at}: a rule row has ${c.length} cells, not 9`)
    const [idCell, source, section, level, appliesCell, rule, casesCell, statusCell, note] = c
    const id = unquote(idCell)
    if (id === null || !RULE_ID.test(id)) throw new Error(`${at}: rule id ${JSON.stringify(idCell)} is not a backticked R-<source>-<section>-<n>`)
    if (!(LEVELS as readonly string[]).includes(level)) throw new Error(`${at}: level ${JSON.stringify(level)} is not one of ${LEVELS.join(', ')}`)
    const appliesTo = unquote(appliesCell)
    if (appliesTo === null || !(APPLIES_TO as readonly string[]).includes(appliesTo)) throw new Error(`${at}: applies-to ${JSON.stringify(appliesCell)} is not a backticked key of the vocabulary`)
    if (!(STATUSES as readonly string[]).includes(statusCell)) throw new Error(`${at}: status ${JSON.stringify(statusCell)} is not one of ${STATUSES.join(', ')}`)
    let cases: string[] = []
    if (casesCell !== NONE) {
      if (!CASE_LIST.test(casesCell)) throw new Error(`${at}: the cases cell must be backticked case ids separated by ", ", or ${NONE}`)
      cases = casesCell.split(', ').map((x) => x.slice(1, -1))
    }
    if (!source || !section || !rule) throw new Error(`${at}: source, section and rule must not be empty`)
    rows.push({ line: i + 1, id, source, section, level: level as Level, appliesTo, rule, cases, status: statusCell as Status, note })
  }
  return rows
}

export function inventoryCounts(rows: readonly InventoryRow[]): InventoryCounts {
  const must = rows.filter((r) => r.level === 'MUST')
  const covered = must.filter((r) => r.status === 'covered').length
  const planned = must.filter((r) => r.status === 'planned').length
  return {
    rules: rows.length,
    must: must.length,
    mustCovered: covered,
    mustPlanned: planned,
    mustReason: must.length - covered - planned,
    mustGap: must.filter((r) => r.status === 'gap').length,
  }
}

/** The counts line as the page writes it between `<!-- counts -->` and `<!-- /counts -->`. */
export function formatCounts(c: InventoryCounts): string {
  return `rules: ${c.rules} · MUST: ${c.must} · MUST covered by a case: ${c.mustCovered} · MUST planned: ${c.mustPlanned} · MUST left with another reason: ${c.mustReason} (of which gap: ${c.mustGap})`
}

/** The counts line the page states, or null when it has none. */
export function statedCounts(markdown: string): string | null {
  const m = /<!-- counts -->(.*?)<!-- \/counts -->/.exec(markdown)
  return m ? m[1].trim() : null
}

/** The per-endpoint summary table, as the page writes it between `<!-- summary -->` and `<!-- /summary -->`. */
export function summaryTable(rows: readonly InventoryRow[]): string {
  const lines = ['| applies to | rules | MUST | MUST covered | MUST planned | MUST gap | MUST, other reason |', '|---|---|---|---|---|---|---|']
  for (const key of APPLIES_TO) {
    const mine = rows.filter((r) => r.appliesTo === key)
    if (mine.length === 0) continue
    const c = inventoryCounts(mine)
    lines.push(`| \`${key}\` | ${c.rules} | ${c.must} | ${c.mustCovered} | ${c.mustPlanned} | ${c.mustGap} | ${c.mustReason - c.mustGap} |`)
  }
  return lines.join('\n')
}

/** The summary table the page states, or null when it has none. */
export function statedSummary(markdown: string): string | null {
  const m = /<!-- summary -->\n([\s\S]*?)\n<!-- \/summary -->/.exec(markdown)
  return m ? m[1].trim() : null
}

/**
 * Problems of the page against a catalog's case ids: unknown ids, catalog cases the page never
 * names, rules out of shape. Empty when the page is in step.
 */
export function inventoryProblems(rows: readonly InventoryRow[], catalogIds: readonly string[]): string[] {
  const p: string[] = []
  const known = new Set(catalogIds)
  const named = new Set(rows.flatMap((r) => r.cases))
  for (const r of rows) for (const id of r.cases) if (!known.has(id)) p.push(`${r.id} (line ${r.line}) names case ${id}, which is not in the catalog`)
  for (const id of catalogIds) if (!named.has(id)) p.push(`catalog case ${id} appears in no rule row`)
  const seen = new Map<string, number>()
  for (const r of rows) {
    const before = seen.get(r.id)
    if (before !== undefined) p.push(`rule id ${r.id} is used twice (lines ${before} and ${r.line})`)
    seen.set(r.id, r.line)
    if (r.status === 'covered' && r.cases.length === 0) p.push(`${r.id} (line ${r.line}) is covered but names no case`)
    if (r.status !== 'covered' && r.cases.length > 0) p.push(`${r.id} (line ${r.line}) names cases but its status is ${r.status}`)
    if (r.status !== 'covered' && r.note === '') p.push(`${r.id} (line ${r.line}) has no case and no reason`)
    if (r.status === 'planned' && !r.note.startsWith('planned:')) p.push(`${r.id} (line ${r.line}) is planned, but its note does not start with "planned:"`)
  }
  return p
}

export const INVENTORY_PATH = fileURLToPath(new URL('../../../docs/rule-inventory.md', import.meta.url))

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const markdown = readFileSync(INVENTORY_PATH, 'utf8')
  const counts = inventoryCounts(parseRuleInventory(markdown))
  console.log(formatCounts(counts))
  console.log(summaryTable(parseRuleInventory(markdown)))
  const stated = statedCounts(markdown)
  if (stated !== formatCounts(counts)) console.log(`the page states: ${stated ?? 'no counts'}`)
}
