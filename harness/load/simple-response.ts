/**
 * The common case of a response on the hot path, read without the general parser: one read holds
 * exactly one whole response, framed by Content-Length. Anything else (a head or body split over
 * reads, chunked or read-to-EOF bodies, 1xx, 204, 304, Upgrade, obsolete line folding, bare LF
 * line ends, a second response in the same read, bytes http-parser-js would decode differently)
 * returns null, and http1-pool.ts hands the bytes to http-parser-js as before.
 *
 * Why: http-parser-js was the largest JS item per response in a perf profile of the bench client
 * (a JS loop per byte to find line ends, then a string, a regex and a lower-cased copy per header
 * line); this reads the
 * head as one string and is held to the same results by test/unit/load/simple-response.test.ts,
 * which runs both on the same bytes.
 *
 * What it returns matches http-parser-js 0.5.10 on the same bytes: status code, raw header
 * name/value pairs (names as sent, values without surrounding blanks), whether the connection may
 * be kept alive, and where the body is.
 */

export interface SimpleResponse {
  status: number
  /** name, value, name, value… as sent (names not lower-cased) */
  rawHeaders: string[]
  keepAlive: boolean
  bodyStart: number
  bodyLength: number
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1')
/** http-parser-js's own limit on a response head (HTTPParser.maxHeaderSize) */
const MAX_HEAD = 80 * 1024
const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3}) ?([^\r\n]*)$/
/**
 * http-parser-js's header line grammar (a name without blanks or colons, the value trimmed), held
 * to the whole line and refusing CR and LF anywhere in it: http-parser-js splits lines at a bare LF
 * and rejects a stray CR, so a line with either is left to it.
 */
const HEADER_LINE = /^([^: \t\r\n]+):[ \t]*((?:[^\r\n]*[^ \t\r\n])|)[ \t]*$/
const DIGITS = /^\d+$/

export function parseSimpleResponse(chunk: Buffer): SimpleResponse | null {
  const headEnd = chunk.indexOf(CRLFCRLF)
  if (headEnd === -1 || headEnd > MAX_HEAD) return null
  // 'ascii' as http-parser-js decodes lines (HTTPParser.encoding): bytes ≥ 0x80 lose their top bit in both
  const head = chunk.toString('ascii', 0, headEnd)
  const lines = head.split('\r\n')
  const statusLine = STATUS_LINE.exec(lines[0])
  if (statusLine === null) return null
  const status = Number(statusLine[3])
  if (status < 200 || status === 204 || status === 304) return null
  const major = Number(statusLine[1])
  const minor = Number(statusLine[2])
  const rawHeaders: string[] = []
  let length = -1
  let connection = ''
  for (let i = 1; i < lines.length; i++) {
    const m = HEADER_LINE.exec(lines[i])
    // a line that is not `name: value` (a folded continuation, a stray CR or LF…) goes to the parser
    if (m === null) return null
    const name = m[1]
    const value = m[2]
    rawHeaders.push(name, value)
    // only the framing headers matter here: their names are compared only when the length fits
    switch (name.length) {
      case 7:
        if (name.toLowerCase() === 'upgrade') return null
        break
      case 10:
        if (name.toLowerCase() === 'connection') connection += value.toLowerCase()
        break
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (!DIGITS.test(value)) return null
          const n = Number(value)
          if (length !== -1 && n !== length) return null
          length = n
        }
        break
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') return null
        break
    }
  }
  if (length === -1) return null
  const bodyStart = headEnd + 4
  if (chunk.length !== bodyStart + length) return null
  // http-parser-js shouldKeepAlive(): 1.1 unless `close`; 1.0 only with `keep-alive`
  const keepAlive = major > 0 && minor > 0 ? !connection.includes('close') : connection.includes('keep-alive')
  return { status, rawHeaders, keepAlive, bodyStart, bodyLength: length }
}
