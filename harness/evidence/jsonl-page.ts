/**
 * One bounded page of a JSONL file: at most `lines` complete lines and `bytes` bytes from a
 * position, each parsed and mapped. A last line without its newline is left for the next read (the
 * writer is still writing it). Memory per page is one buffer of at most `bytes` and its records.
 */
import type { FileHandle } from 'node:fs/promises'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import { fingerprintAt, positionId, type JsonlPosition } from './jsonl-cursor.ts'
import type { CompiledMapping } from './mapping.ts'
import type { ProblemLog } from './problems.ts'

export interface PageLimits {
  lines: number
  bytes: number
}

export interface ReadPage {
  records: EvidenceRecord[]
  pos: JsonlPosition
  /** the page stopped at a bound, so more complete lines may follow at once */
  more: boolean
}

const NL = 0x0a
const CR = 0x0d
const SCAN_CHUNK = 64 * 1024

/** `size`: the file's size when the caller looked; lines appended since are read next time. */
export async function readPage(handle: FileHandle, pos: JsonlPosition, size: number, mapping: CompiledMapping, problems: ProblemLog, limits: PageLimits): Promise<ReadPage> {
  const want = Math.min(limits.bytes, size - pos.offset)
  if (want <= 0) return { records: [], pos, more: false }
  const window = Buffer.allocUnsafe(want)
  const { bytesRead } = await handle.read(window, 0, want, pos.offset)
  const buf = window.subarray(0, bytesRead)
  const records: EvidenceRecord[] = []
  let start = 0
  let lines = 0
  while (lines < limits.lines) {
    const nl = buf.indexOf(NL, start)
    if (nl === -1) break
    const line = pos.line + ++lines
    const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl
    let text = buf.toString('utf8', start, end)
    if (pos.offset + start === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    const at = pos.offset + start
    start = nl + 1
    if (text.trim() === '') continue
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch {
      // never the parser's message: it quotes the line, which may hold a token
      problems.unmappedLine(line, 'not JSON')
      continue
    }
    const record = mapping.apply(raw, { line, id: positionId(pos.file, pos.gen, at) }, problems)
    if (record) records.push(record)
  }
  if (lines === 0 && bytesRead === limits.bytes) return skipLongLine(handle, pos, size, problems, limits)
  if (start === 0) return { records, pos, more: false }
  const offset = pos.offset + start
  const next = { ...pos, offset, line: pos.line + lines, fp: await fingerprintAt(handle, pos, offset) }
  return { records, pos: next, more: lines === limits.lines || bytesRead === limits.bytes }
}

/**
 * A line longer than a whole page can never be read as one: it counts as unmapped and the reader
 * goes on after its newline, rather than stopping there for good. Without a newline yet, it waits.
 */
async function skipLongLine(handle: FileHandle, pos: JsonlPosition, size: number, problems: ProblemLog, limits: PageLimits): Promise<ReadPage> {
  const chunk = Buffer.allocUnsafe(SCAN_CHUNK)
  for (let at = pos.offset + limits.bytes; at < size; at += SCAN_CHUNK) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(SCAN_CHUNK, size - at), at)
    if (bytesRead === 0) break
    const nl = chunk.subarray(0, bytesRead).indexOf(NL)
    if (nl === -1) continue
    problems.unmappedLine(pos.line + 1, `longer than ${limits.bytes} bytes: skipped`)
    const offset = at + nl + 1
    return { records: [], pos: { ...pos, offset, line: pos.line + 1, fp: await fingerprintAt(handle, pos, offset) }, more: true }
  }
  return { records: [], pos, more: false }
}
