/**
 * The HTTP log API source's cursor. Everything the source needs to resume lives in it, not in the
 * source object, so a cursor read back from a run's context (or handed to a fresh source) neither
 * loses nor repeats records, and two reads in flight at once (the live tail's last poll and the final
 * read) cannot disturb each other:
 * - `url`: what to fetch next, the next page or the page to poll again;
 * - `seen`: digests of the records on the latest page that had any. An API that serves its last page
 *   again (a body cursor that stays put, a `since=` that is inclusive) re-sends those, and they are
 *   not delivered a second time. Bounded: a page larger than MAX_SEEN keeps its newest; past that the
 *   run store's `INSERT OR IGNORE` on the record id still stores a repeat once;
 * - `back`: digests of the last few URLs read before `url`, so a next link that points back at one of
 *   them is seen as the loop it is, across polls.
 */
import { b64urlSha256 } from '../protocol/token-hash.ts'

export interface ApiPosition {
  url: string
  seen: string[]
  back: string[]
}

/** 72 bits: no collision to fear among a few thousand ids, 12 characters each in the cursor */
const DIGEST_CHARS = 12
export const MAX_SEEN = 5000
export const MAX_BACK = 8
const PREFIX = 'apilog1.'

export function digest(s: string): string {
  return b64urlSha256(s).slice(0, DIGEST_CHARS)
}

export function encodeCursor(p: ApiPosition): string {
  return PREFIX + Buffer.from(JSON.stringify({ u: p.url, s: p.seen.join(''), b: p.back.join('') })).toString('base64url')
}

export function decodeCursor(cursor: string): ApiPosition {
  const bad = (): TypeError => new TypeError(`not a cursor of the HTTP log API evidence source: ${cursor.slice(0, 80)}`)
  if (!cursor.startsWith(PREFIX)) throw bad()
  let o: { u?: unknown; s?: unknown; b?: unknown }
  try {
    o = JSON.parse(Buffer.from(cursor.slice(PREFIX.length), 'base64url').toString('utf8'))
  } catch {
    throw bad()
  }
  if (o === null || typeof o !== 'object' || typeof o.u !== 'string' || typeof o.s !== 'string' || typeof o.b !== 'string') throw bad()
  if (o.s.length % DIGEST_CHARS !== 0 || o.b.length % DIGEST_CHARS !== 0) throw bad()
  return { url: o.u, seen: split(o.s), back: split(o.b) }
}

function split(s: string): string[] {
  const out: string[] = []
  for (let i = 0; i < s.length; i += DIGEST_CHARS) out.push(s.slice(i, i + DIGEST_CHARS))
  return out
}

/** `back` after leaving `url` for another page: newest last, each once, at most MAX_BACK. */
export function leave(back: readonly string[], url: string): string[] {
  const d = digest(url)
  return [...back.filter((b) => b !== d), d].slice(-MAX_BACK)
}
