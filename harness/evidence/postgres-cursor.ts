/**
 * The PostgreSQL source's cursor: everything a fresh source object needs to resume exactly where
 * a page left off, because the run saves cursors in context.json and may read with a new object.
 *
 * - `hwm`: the newest key delivered; rows after it are new.
 * - `floor`: rows at or before it are done; rows in (floor, hwm] are looked at again on every read,
 *   since a row can commit after rows ordered behind it were read (serial ids are taken before
 *   commit).
 * - `groups`: what each read delivered in that window, with when it read and the `hwm` after it.
 *   The floor moves up to a group's `hwm` only once a whole re-read of the window ran `lookback`
 *   after that group was read, and that group's ids are forgotten with it: every id delivered up to
 *   then is at or behind its `hwm`, so nothing the window still holds is forgotten.
 * - `band`: the rows counted in the stretch the floor passed over its last few moves; a count that
 *   grew means rows committed later than the lookback, which the source reports as lost.
 * - `gen`: how often the table was found emptied or recreated behind the cursor; it enters the
 *   record ids, so rows that reuse a key are new records.
 *
 * The ids kept are bounded (MAX_DELIVERED): past that, the oldest groups are forgotten early,
 * which the source warns about. Runs of consecutive integer ids, a serial's usual shape, are
 * written `first-last`, so the cursor of a busy integer-keyed table stays a few hundred bytes.
 */
import type { Key } from './postgres-query.ts'

export interface DeliveredGroup {
  /** epoch ms of the read that delivered them */
  at: number
  /** the source's `hwm` after them */
  hwm: Key
  /** their identity column's text */
  ids: string[]
}

export interface Band {
  from: Key | null
  to: Key
  count: number
  /** floor moves it spans (up to BAND_FLOORS, then it starts again behind the newest floor) */
  steps: number
}

export interface PgPosition {
  /** the source's name (table, or `q-<hash>` of its query): a cursor is only good for its source */
  src: string
  gen: number
  floor: Key | null
  hwm: Key | null
  groups: DeliveredGroup[]
  band: Band | null
}

/** ids kept for de-duplication, over every group */
export const MAX_DELIVERED = 10_000
/** floors remembered for the band: how far behind the lookback late rows are still noticed */
export const BAND_FLOORS = 8
const PREFIX = 'pg1.'

export function startPosition(src: string, gen = 0): PgPosition {
  return { src, gen, floor: null, hwm: null, groups: [], band: null }
}

const INT = /^(0|[1-9]\d{0,17})$/

/** ids as written in a cursor: consecutive integer runs as `first-last` */
export function packIds(ids: string[]): string[] {
  const out: string[] = []
  let i = 0
  while (i < ids.length) {
    let j = i
    if (INT.test(ids[i])) while (j + 1 < ids.length && INT.test(ids[j + 1]) && BigInt(ids[j + 1]) === BigInt(ids[j]) + 1n) j++
    out.push(j > i + 1 ? `${ids[i]}-${ids[j]}` : ids[i])
    if (j === i + 1) out.push(ids[j])
    i = j + 1
  }
  return out
}

export function unpackIds(packed: string[]): string[] {
  const out: string[] = []
  for (const p of packed) {
    const m = /^(\d+)-(\d+)$/.exec(p)
    if (m && INT.test(m[1]) && INT.test(m[2])) {
      const last = BigInt(m[2])
      const count = last - BigInt(m[1]) + 1n
      if (count < 1n || count > BigInt(MAX_DELIVERED)) throw new TypeError('not a cursor of the PostgreSQL evidence source: a run of ids out of bounds')
      for (let n = BigInt(m[1]); n <= last; n++) out.push(String(n))
    } else out.push(p)
  }
  return out
}

export function encodeCursor(p: PgPosition): string {
  const body = { s: p.src, g: p.gen, f: p.floor, h: p.hwm, d: p.groups.map((g) => [g.at, g.hwm, packIds(g.ids)]), b: p.band && [p.band.from, p.band.to, p.band.count, p.band.steps] }
  return PREFIX + Buffer.from(JSON.stringify(body)).toString('base64url')
}

const isKey = (v: unknown): v is Key => Array.isArray(v) && v.length >= 1 && v.length <= 2 && v.every((s) => typeof s === 'string')
const isKeyOrNull = (v: unknown): v is Key | null => v === null || isKey(v)

export function decodeCursor(cursor: string): PgPosition {
  const bad = (why: string): TypeError => new TypeError(`not a cursor of the PostgreSQL evidence source (${why}): ${cursor.slice(0, 80)}`)
  if (!cursor.startsWith(PREFIX)) throw bad('prefix')
  let body: { s?: unknown; g?: unknown; f?: unknown; h?: unknown; d?: unknown; b?: unknown }
  try {
    body = JSON.parse(Buffer.from(cursor.slice(PREFIX.length), 'base64url').toString('utf8'))
  } catch {
    throw bad('not JSON')
  }
  if (typeof body.s !== 'string' || !Number.isInteger(body.g) || !isKeyOrNull(body.f) || !isKeyOrNull(body.h) || !Array.isArray(body.d)) throw bad('shape')
  const groups = body.d.map((g: unknown) => {
    if (!Array.isArray(g) || typeof g[0] !== 'number' || !isKey(g[1]) || !Array.isArray(g[2]) || !g[2].every((x: unknown) => typeof x === 'string')) throw bad('a group')
    return { at: g[0], hwm: g[1], ids: unpackIds(g[2]) }
  })
  let band: Band | null = null
  if (body.b !== null && body.b !== undefined) {
    const b = body.b as unknown[]
    if (!Array.isArray(b) || !isKeyOrNull(b[0]) || !isKey(b[1]) || !Number.isInteger(b[2]) || !Number.isInteger(b[3])) throw bad('band')
    band = { from: b[0], to: b[1], count: b[2] as number, steps: b[3] as number }
  }
  return { src: body.s, gen: body.g as number, floor: body.f, hwm: body.h, groups, band }
}

export function deliveredIds(p: PgPosition): string[] {
  return p.groups.flatMap((g) => g.ids)
}

/** Records a read's delivery: ids (possibly none) read at `at`, after which the newest key is `hwm`. */
export function addDelivered(p: PgPosition, at: number, hwm: Key, ids: string[]): void {
  p.hwm = hwm
  const last = p.groups.at(-1)
  // an empty read that moved nothing adds no group: the older group marks when that hwm was first seen
  if (ids.length === 0 && last && sameKey(last.hwm, hwm)) return
  if (ids.length === 0 && !last && p.floor !== null && sameKey(p.floor, hwm)) return
  p.groups.push({ at, hwm, ids })
}

export function sameKey(a: Key | null, b: Key | null): boolean {
  return a === b || (a !== null && b !== null && a.length === b.length && a.every((s, i) => s === b[i]))
}

/**
 * The index of the newest group the floor may move to after a full re-read of the window that
 * began at `scanAt` (-1: none), given `lookback` ms.
 */
export function settledGroup(p: PgPosition, scanAt: number, lookbackMs: number): number {
  let k = -1
  for (let i = 0; i < p.groups.length; i++) if (p.groups[i].at <= scanAt - lookbackMs) k = i
  return k
}

/** Moves the floor to group `k`'s hwm, forgetting that group and the older ones. */
export function forgetThrough(p: PgPosition, k: number): void {
  p.floor = p.groups[k].hwm
  p.groups.splice(0, k + 1)
}

export function deliveredCount(p: PgPosition): number {
  let n = 0
  for (const g of p.groups) n += g.ids.length
  return n
}
