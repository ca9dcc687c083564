import { HTTPParser } from 'http-parser-js'
import { describe, expect, test } from 'vitest'
import { parseSimpleResponse } from '../../../harness/load/simple-response.ts'

interface Parsed {
  status: number
  rawHeaders: string[]
  keepAlive: boolean
  body: string
  messages: number
}

/** What http-parser-js makes of the same bytes (as http1-pool.ts uses it), or its error code. */
function byHttpParserJs(bytes: Buffer): Parsed | string {
  const parser = new HTTPParser(HTTPParser.RESPONSE)
  const out: Parsed = { status: 0, rawHeaders: [], keepAlive: false, body: '', messages: 0 }
  parser[HTTPParser.kOnHeadersComplete] = (info: { statusCode: number; headers: string[]; shouldKeepAlive: boolean }) => {
    out.status = info.statusCode
    out.rawHeaders = info.headers
    out.keepAlive = info.shouldKeepAlive
    return 0
  }
  parser[HTTPParser.kOnBody] = (chunk: Buffer, offset: number, length: number) => {
    out.body += chunk.toString('latin1', offset, offset + length)
  }
  parser[HTTPParser.kOnMessageComplete] = () => {
    out.messages++
  }
  const r = parser.execute(bytes)
  if (r instanceof Error) return (r as NodeJS.ErrnoException).code ?? r.message
  return out
}

function byFastPath(bytes: Buffer): Parsed | null {
  const r = parseSimpleResponse(bytes)
  if (r === null) return null
  return { status: r.status, rawHeaders: r.rawHeaders, keepAlive: r.keepAlive, body: bytes.toString('latin1', r.bodyStart, r.bodyStart + r.bodyLength), messages: 1 }
}

const res = (s: string) => Buffer.from(s, 'latin1')

describe('parseSimpleResponse: the same result as http-parser-js, or null', () => {
  test('a node:http response: status, headers as sent, keep-alive, body', () => {
    const bytes = res('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nDate: Thu, 26 Nov 2026 13:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n{"ok":true}')
    expect(byFastPath(bytes)).toEqual(byHttpParserJs(bytes))
    expect(byFastPath(bytes)).toMatchObject({ status: 200, keepAlive: true, body: '{"ok":true}' })
  })

  const handled: [string, string][] = [
    ['401 with a DPoP challenge and a JSON error', 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: DPoP error="invalid_token", algs="ES256"\r\nContent-Type: application/json\r\nContent-Length: 25\r\n\r\n{"error":"invalid_token"}'],
    ['no reason phrase', 'HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok'],
    ['Connection: close', 'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'],
    ['two Connection headers, close in the second', 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nconnection: Close\r\nContent-Length: 0\r\n\r\n'],
    ['HTTP/1.0 without keep-alive', 'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx'],
    ['HTTP/1.0 with keep-alive', 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx'],
    ['Content-Length 0', 'HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n'],
    ['the same Content-Length twice', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc'],
    ['a leading zero in Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 003\r\n\r\nabc'],
    ['repeated names, blanks around values, an empty value', 'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Pad: \t padded \t\r\nX-Empty:\r\nContent-Length: 1\r\n\r\n.'],
    ['bytes ≥ 0x80 in a value (both decode as ascii)', 'HTTP/1.1 200 OK\r\nX-Name: caf\xe9\xff\r\nContent-Length: 1\r\n\r\n.'],
    ['a body holding CRLFCRLF and bytes ≥ 0x80', 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n\r\n\r\n\xe9\xff\x00z'],
    ['an Upgrade-looking name that is not Upgrade', 'HTTP/1.1 200 OK\r\nUpgradX: h2c\r\nContent-Length: 0\r\n\r\n'],
  ]
  for (const [name, text] of handled) {
    test(`handled: ${name}`, () => {
      const bytes = res(text)
      const fast = byFastPath(bytes)
      expect(fast).not.toBeNull()
      expect(fast).toEqual(byHttpParserJs(bytes))
    })
  }

  const declined: [string, string][] = [
    ['the head not complete yet', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n'],
    ['the body not complete yet', 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab'],
    ['a second response in the same read', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ['chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'],
    ['chunked and a Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'],
    ['no Content-Length: read to EOF', 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end'],
    ['1xx', 'HTTP/1.1 100 Continue\r\n\r\n'],
    ['204', 'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n'],
    ['304', 'HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n'],
    ['Upgrade', 'HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n'],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    ['a Content-Length that is not digits', 'HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nab'],
    ['an obsolete folded line', 'HTTP/1.1 200 OK\r\nX-Long: a\r\n b\r\nContent-Length: 0\r\n\r\n'],
    ['bare LF line ends', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n'],
    ['a bare LF inside the head', 'HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\nContent-Length: 0\r\n\r\n'],
    ['a stray CR in a value', 'HTTP/1.1 200 OK\r\nX-A: 1\r2\r\nContent-Length: 0\r\n\r\n'],
    ['an empty line before the status line', '\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ['a header line without a name', 'HTTP/1.1 200 OK\r\n: nameless\r\nContent-Length: 0\r\n\r\n'],
    ['not HTTP', 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
  ]
  for (const [name, text] of declined) {
    test(`left to http-parser-js: ${name}`, () => {
      expect(byFastPath(res(text))).toBeNull()
    })
  }

  test('random heads (names, values, blanks, CR, LF, colons, bytes ≥ 0x80): whenever it answers, http-parser-js agrees', () => {
    // a small seeded PRNG (mulberry32): the same 3,000 cases on every run
    let seed = 0x9e3779b9
    const rnd = () => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]
    const alphabet = ['a', 'Z', '-', '0', ' ', '\t', ':', '\r', '\n', '\xe9', '"', '=', ',']
    const text = (max: number) => Array.from({ length: Math.floor(rnd() * max) }, () => (rnd() < 0.8 ? pick(['a', 'b', 'x', '-', '1']) : pick(alphabet))).join('')
    let answered = 0
    for (let i = 0; i < 3000; i++) {
      const body = text(12)
      const lines = [pick(['HTTP/1.1 200 OK', 'HTTP/1.1 403 Forbidden', 'HTTP/1.0 200 OK', 'HTTP/1.1 404', 'HTTP/1.1 500 Internal Server Error'])]
      const n = Math.floor(rnd() * 5)
      for (let h = 0; h < n; h++) lines.push(`${pick(['X-A', 'Connection', 'connection', 'Set-Cookie', text(6)])}${pick([':', ': ', ':\t', ' :'])}${pick(['keep-alive', 'close', text(10)])}`)
      const length = rnd() < 0.9 ? Buffer.byteLength(body, 'latin1') : Math.floor(rnd() * 20)
      if (rnd() < 0.95) lines.splice(1 + Math.floor(rnd() * n), 0, `${pick(['Content-Length', 'content-length'])}: ${length}`)
      const bytes = res(`${lines.join('\r\n')}\r\n\r\n${body}`)
      const fast = byFastPath(bytes)
      if (fast === null) continue
      answered++
      expect(fast, JSON.stringify(bytes.toString('latin1'))).toEqual(byHttpParserJs(bytes))
    }
    // the generator must exercise the fast path, not only its refusals
    expect(answered).toBeGreaterThan(1000)
  })
})
