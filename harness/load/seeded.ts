/**
 * Stateless seeded randomness: the value for (seed, iteration, purpose) never depends on what
 * other iterations or workers did, so the workflow and attack schedule are the same for a seed
 * however the work is split.
 */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** uniform in [0, 1) */
export function seededUnit(seed: number, iteration: number, purpose: string): number {
  return mix32(mix32(seed ^ 0x9e3779b9) ^ mix32(iteration + 0x632be5ab) ^ hashString(purpose)) / 2 ** 32
}

export function seededPick<T>(items: readonly T[], seed: number, iteration: number, purpose: string): T {
  return items[Math.floor(seededUnit(seed, iteration, purpose) * items.length)]
}
