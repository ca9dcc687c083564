/**
 * RFC 8288 `Link` header parsing, for log APIs that page with `Link: <…>; rel="next"` (Okta's System
 * Log, GitHub's audit log). Parsed by the grammar rather than by a regex over the whole value, since
 * real headers put commas and semicolons inside URLs and quoted parameters, send several links in one
 * header or the same header several times, and give `rel` several space-separated types
 * (`rel="next last"`).
 *
 * @example
 *   nextLink(['<https://o.example/api/v1/logs?after=1>; rel="next"', '</logs?p=1>; rel=self'], 'https://o.example/api/v1/logs')
 *   // 'https://o.example/api/v1/logs?after=1'
 */

export interface Link {
  /** the target, resolved against the request URL */
  href: string
  /** the relation types, lower-cased */
  rel: string[]
  /** the other parameters, names lower-cased (the first of each name; RFC 8288 §3.3 ignores repeats of `rel`) */
  params: Record<string, string>
}

/** Every link in the header's values (an array: the header sent several times), in order. Unparseable links are skipped. */
export function parseLinkHeader(values: string | readonly string[] | undefined, base: string): Link[] {
  if (values === undefined) return []
  const out: Link[] = []
  for (const value of typeof values === 'string' ? [values] : values) parseOne(value, base, out)
  return out
}

/**
 * The first `next` link whose context is the response itself (a link with an `anchor` is about
 * another resource, RFC 8288 §3.2), or null.
 */
export function nextLink(values: string | readonly string[] | undefined, base: string): string | null {
  return parseLinkHeader(values, base).find((l) => l.rel.includes('next') && l.params.anchor === undefined)?.href ?? null
}

const WS = new Set([' ', '\t'])

function parseOne(s: string, base: string, out: Link[]): void {
  let i = 0
  const skipWs = (): void => {
    while (i < s.length && WS.has(s[i])) i++
  }
  // each iteration reads one link-value; every branch moves i forward, so the loop ends
  while (i < s.length) {
    while (i < s.length && (WS.has(s[i]) || s[i] === ',')) i++
    if (i >= s.length) return
    if (s[i] !== '<') {
      i = skipToNextLink(s, i)
      continue
    }
    const close = s.indexOf('>', i + 1)
    if (close === -1) return
    const target = s.slice(i + 1, close).trim()
    i = close + 1
    const params: Record<string, string> = {}
    let rel: string | undefined
    let malformed = false
    for (;;) {
      skipWs()
      if (s[i] !== ';') break
      i++
      skipWs()
      const nameStart = i
      while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i])) i++
      const name = s.slice(nameStart, i).toLowerCase()
      skipWs()
      let value = ''
      if (s[i] === '=') {
        i++
        skipWs()
        if (s[i] === '"') {
          i++
          // quoted-string: a backslash escapes the next character
          while (i < s.length && s[i] !== '"') {
            if (s[i] === '\\' && i + 1 < s.length) i++
            value += s[i++]
          }
          i++
        } else {
          const start = i
          while (i < s.length && !WS.has(s[i]) && s[i] !== ';' && s[i] !== ',') i++
          value = s.slice(start, i)
        }
      }
      if (name === '') {
        malformed = true
        i = skipToNextLink(s, i)
        break
      }
      // RFC 8288 §3.3: occurrences of rel after the first are ignored
      if (name === 'rel') rel ??= value
      else if (!(name in params)) params[name] = value
    }
    if (malformed) continue
    let href: string
    try {
      href = new URL(target, base).href
    } catch {
      continue
    }
    out.push({ href, rel: (rel ?? '').toLowerCase().split(/[ \t]+/).filter(Boolean), params })
  }
}

/** After a malformed part: the index past the next comma outside quotes and angle brackets. */
function skipToNextLink(s: string, i: number): number {
  let quoted = false
  let angled = false
  for (; i < s.length; i++) {
    const c = s[i]
    if (quoted) {
      if (c === '\\') i++
      else if (c === '"') quoted = false
    } else if (angled) {
      if (c === '>') angled = false
    } else if (c === '"') quoted = true
    else if (c === '<') angled = true
    else if (c === ',') return i + 1
  }
  return i
}
