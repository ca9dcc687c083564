/**
 * The JSONL source's cursor: which file (device and inode), how many truncations of it the reader
 * has seen, the byte offset after the last complete line read, that line's number, and a fingerprint
 * of the file's first bytes. The inode tells a rotated file (a new file at the path) from the one
 * read; the fingerprint tells a file truncated and written again past the offset (copytruncate
 * under a fast writer), which neither the inode nor the size shows.
 */
import type { FileHandle } from 'node:fs/promises'
import { b64urlSha256 } from '../protocol/token-hash.ts'

export interface JsonlPosition {
  /** `<dev>:<ino>` of the file read */
  file: string
  /** truncations seen: ids of lines written after one differ from those of the lines they replaced */
  gen: number
  offset: number
  /** complete lines before `offset` (so messages can say "line 17") */
  line: number
  /** fingerprint of the file's first min(offset, FINGERPRINT_BYTES) bytes */
  fp: string
}

export const FINGERPRINT_BYTES = 256
const PREFIX = 'jsonl1'

export function encodeCursor(p: JsonlPosition): string {
  return [PREFIX, p.file, p.gen, p.offset, p.line, p.fp].join('.')
}

export function decodeCursor(cursor: string): JsonlPosition {
  const [prefix, file, gen, offset, line, fp, ...rest] = cursor.split('.')
  const n = (s: string | undefined): number => (s !== undefined && /^\d+$/.test(s) ? Number(s) : NaN)
  const p = { file, gen: n(gen), offset: n(offset), line: n(line), fp }
  if (prefix !== PREFIX || rest.length > 0 || !/^\d+:\d+$/.test(file ?? '') || [p.gen, p.offset, p.line].some(Number.isNaN) || typeof fp !== 'string') {
    throw new TypeError(`not a cursor of the JSONL evidence source: ${cursor.slice(0, 80)}`)
  }
  return p
}

/** The start of a file: nothing read, nothing to fingerprint. */
export function startOf(file: string, gen = 0): JsonlPosition {
  return { file, gen, offset: 0, line: 0, fp: fingerprintOf(Buffer.alloc(0)) }
}

function fingerprintOf(bytes: Buffer): string {
  return b64urlSha256(bytes).slice(0, 16)
}

async function headOf(handle: FileHandle, upTo: number): Promise<Buffer> {
  const n = Math.min(upTo, FINGERPRINT_BYTES)
  const buf = Buffer.alloc(n)
  const { bytesRead } = await handle.read(buf, 0, n, 0)
  return buf.subarray(0, bytesRead)
}

/** Whether the file still begins with the bytes the position was read from. */
export async function sameStart(handle: FileHandle, p: JsonlPosition): Promise<boolean> {
  return p.offset === 0 || fingerprintOf(await headOf(handle, p.offset)) === p.fp
}

/** The fingerprint for a new offset: it grows with the offset until it covers FINGERPRINT_BYTES. */
export async function fingerprintAt(handle: FileHandle, from: JsonlPosition, offset: number): Promise<string> {
  return from.offset >= FINGERPRINT_BYTES ? from.fp : fingerprintOf(await headOf(handle, offset))
}

/** A record's id when the mapping maps none: its place in the file, so a re-read gives the same id. */
export function positionId(file: string, gen: number, offset: number): string {
  return `jsonl:${file}:${gen}:${offset}`
}
