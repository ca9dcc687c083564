/**
 * docs/rule-inventory.md holds to the catalog: every case id it names is a catalog case, every
 * catalog case is named by at least one rule, rule ids are unique and well formed, a rule without a
 * case says why, and the counts its header states are the table's. A case added to the catalog
 * without a row here fails this test: the inventory is where the next blind spot shows.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import { ISSUED_TOKEN_CHECKS } from '../../../harness/attacks/catalog/issued-token-checks.ts'
import {
  formatCounts,
  INVENTORY_PATH,
  inventoryCounts,
  inventoryProblems,
  parseRuleInventory,
  statedCounts,
  statedSummary,
  summaryTable,
  RULE_HEADER,
  type InventoryRow,
} from './rule-inventory-table.ts'

const markdown = readFileSync(INVENTORY_PATH, 'utf8')
const rows = parseRuleInventory(markdown)
// the issued-token checks test rules too (every token the run receives): they are named like cases
const catalogIds = [...CATALOG.map((c) => c.id), ...ISSUED_TOKEN_CHECKS.map((c) => c.id)]

describe('docs/rule-inventory.md', () => {
  test('has rule rows, one rule per row', () => {
    expect(rows.length).toBeGreaterThan(100)
  })

  test('every case id it names is in the catalog, and every catalog case is named', () => {
    expect(inventoryProblems(rows, catalogIds)).toEqual([])
  })

  test('rule ids are unique', () => {
    const ids = rows.map((r) => r.id)
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([])
  })

  test('every MUST row names a case or gives a reason', () => {
    const bare = rows.filter((r) => r.level === 'MUST' && r.cases.length === 0 && r.note.trim() === '')
    expect(bare.map((r) => r.id)).toEqual([])
  })

  test('the counts the page states are the table’s', () => {
    expect(statedCounts(markdown)).toBe(formatCounts(inventoryCounts(rows)))
  })

  test('the summary by endpoint and token kind is the table’s', () => {
    expect(statedSummary(markdown)).toBe(summaryTable(rows))
  })

  test('a catalog case missing from the page is reported', () => {
    const victim = catalogIds[0]
    const without: InventoryRow[] = rows.map((r) => ({ ...r, cases: r.cases.filter((id) => id !== victim) }))
    expect(inventoryProblems(without, catalogIds)).toContain(`catalog case ${victim} appears in no rule row`)
  })

  test('a case id the catalog does not know is reported', () => {
    const extra: InventoryRow[] = [...rows, { ...rows[0], id: 'R-TEST-1-1', cases: ['replay.no-such-case'] }]
    expect(inventoryProblems(extra, catalogIds)).toContain(`R-TEST-1-1 (line ${rows[0].line}) names case replay.no-such-case, which is not in the catalog`)
  })

  test('a row out of shape fails the parse instead of being skipped', () => {
    const table = `${RULE_HEADER}\n|---|---|---|---|---|---|---|---|---|\n`
    expect(() => parseRuleInventory(`${table}| \`R-9449-4.3-1\` | RFC 9449 | §4.3 | MUST | \`rs-tools\` | one header | replay.dpop-malformed.two-headers | covered | |\n`)).toThrow(/cases cell/)
    expect(() => parseRuleInventory(`${table}| \`R-9449-4.3-1\` | RFC 9449 | §4.3 | MUSTS | \`rs-tools\` | one header | — | gap | x |\n`)).toThrow(/level/)
    expect(() => parseRuleInventory(`${table}| R-9449 | RFC 9449 | §4.3 | MUST | \`rs-tools\` | one header | — | gap | x |\n`)).toThrow(/rule id/)
    expect(() => parseRuleInventory(`${table}| \`R-9449-4.3-1\` | RFC 9449 | §4.3 | MUST | \`rs-tools\` | one header | — | gap |\n`)).toThrow(/cells/)
  })
})
