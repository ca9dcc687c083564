/** Space-separated OAuth scope strings (RFC 6749 §3.3) as ordered, de-duplicated lists. */

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

export function parseScope(value: unknown): string[] {
  if (typeof value !== 'string') return []
  return [...new Set(value.split(' ').filter((s) => s.length > 0))]
}

export function isValidScopeString(value: string): boolean {
  return value.split(' ').every((s) => SCOPE_TOKEN.test(s))
}

export function isSubset(wanted: string[], allowed: string[]): boolean {
  const set = new Set(allowed)
  return wanted.every((s) => set.has(s))
}

export function intersect(a: string[], b: string[]): string[] {
  const set = new Set(b)
  return a.filter((s) => set.has(s))
}
