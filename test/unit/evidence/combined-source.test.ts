/** Several trails read as one: each resumed from its own cursor; chained only if every part is. */
import { describe, expect, test } from 'vitest'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import type { EvidenceSource } from '../../../harness/contracts/evidence-source.ts'
import { combinedSource } from '../../../harness/evidence/combined-source.ts'
import { readAll } from '../../../harness/evidence/read-all.ts'

/** A source over a growing list: the cursor is how many records were read. */
function listSource(name: string, records: EvidenceRecord[], integrity: 'chained' | 'unchained'): EvidenceSource {
  return {
    kind: name,
    integrity,
    async *pages(after) {
      const from = after ? Number(after) : 0
      yield { records: records.slice(from), cursor: String(records.length) }
    },
    ...(integrity === 'chained' ? { heads: async () => ({ [name]: records.at(-1)?.hash ?? null }) } : {}),
    close: async () => {},
  }
}

const rec = (id: string): EvidenceRecord => ({ id, hash: `h-${id}` }) as EvidenceRecord

describe('combined evidence source', () => {
  test('reads every part, and resumes each part from its own cursor', async () => {
    const as = [rec('a1')]
    const rs = [rec('r1'), rec('r2')]
    const src = combinedSource([listSource('as', as, 'chained'), listSource('rs', rs, 'chained')])
    const first = await readAll(src)
    expect(first.records.map((r) => r.id)).toEqual(['a1', 'r1', 'r2'])
    as.push(rec('a2'))
    rs.push(rec('r3'))
    expect((await readAll(src, first.cursor)).records.map((r) => r.id)).toEqual(['a2', 'r3'])
    expect(await src.heads!()).toEqual({ as: 'h-a2', rs: 'h-r3' })
    expect(src.integrity).toBe('chained')
  })

  test('one unchained part makes the whole trail unchained (and without heads)', () => {
    const src = combinedSource([listSource('as', [], 'chained'), listSource('log', [], 'unchained')])
    expect(src.integrity).toBe('unchained')
    expect(src.heads).toBeUndefined()
  })
})
