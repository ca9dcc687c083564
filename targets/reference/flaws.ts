/**
 * Flaw switches for the mutation self-test: each one disables exactly one control of the reference
 * target, and names the attack cases that must catch it. To add a flaw, add an entry here and one
 * `hasFlaw(...)` check at the control it disables.
 */
import { FlawUnknown } from '../../harness/errors.ts'
import type { FlawInfo } from '../../harness/target/types.ts'

const DEFINITIONS = {
  'replay-cache-off': {
    control: 'resource server refuses a reused DPoP proof jti (RFC 9449 §11.1)',
    caughtBy: ['replay.dpop-jti-reuse'],
  },
  'evidence-drops-denies': {
    control: 'every refusal writes a deny evidence record (AS and resource servers)',
    caughtBy: ['replay.dpop-jti-reuse', 'escalate.tool-scope', 'unattributed.no-credential'],
  },
} satisfies Record<string, Omit<FlawInfo, 'name'>>

export type FlawName = keyof typeof DEFINITIONS

export const FLAWS: FlawInfo[] = Object.entries(DEFINITIONS).map(([name, d]) => ({
  name,
  control: d.control,
  caughtBy: [...d.caughtBy],
}))

/** Validates requested flaw names (duplicates collapse); unknown names are an error. */
export function resolveFlaws(names: readonly string[] = []): FlawName[] {
  const known = Object.keys(DEFINITIONS)
  const unknown = names.filter((n) => !known.includes(n))
  if (unknown.length > 0) {
    throw new FlawUnknown(`unknown flaw ${unknown.map((n) => `"${n}"`).join(', ')} for the reference target`, {
      hint: `known flaws: ${known.join(', ')}`,
    })
  }
  return [...new Set(names)] as FlawName[]
}

export function hasFlaw(flaws: readonly string[], name: FlawName): boolean {
  return flaws.includes(name)
}
