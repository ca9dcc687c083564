import { TargetUnknown } from '../harness/contracts/errors.ts'
import type { TargetAdapter } from '../harness/contracts/target.ts'

/** Target adapters by name; the engine never imports them, the CLI hands one in. */
const TARGETS: Record<string, () => Promise<TargetAdapter>> = {
  reference: async () => (await import('../targets/reference/adapter.ts')).referenceTarget,
}

export async function resolveTarget(name: string): Promise<TargetAdapter> {
  const load = TARGETS[name]
  if (!load) throw new TargetUnknown(`unknown target '${name}'`, { hint: `known targets: ${Object.keys(TARGETS).join(', ')}` })
  return load()
}
