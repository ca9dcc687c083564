import path from 'node:path'
import { TargetUnknown } from '../harness/contracts/errors.ts'
import type { TargetAdapter } from '../harness/contracts/target.ts'

/** Target adapters by name; the engine never imports them, the CLI hands one in. */
const TARGETS: Record<string, () => Promise<TargetAdapter>> = {
  reference: async () => (await import('../targets/reference/adapter.ts')).referenceTarget,
}

/** A file path (it has a `/` or ends in .ts/.js) is a target profile; anything else a built-in name. */
export function isProfilePath(target: string): boolean {
  return target.includes('/') || target.includes(path.sep) || /\.[cm]?[jt]s$/.test(target)
}

export async function resolveTarget(name: string): Promise<TargetAdapter> {
  if (isProfilePath(name)) {
    const [{ loadProfile }, { profileTarget }] = await Promise.all([import('../harness/profile/load.ts'), import('../targets/profile/adapter.ts')])
    return profileTarget(await loadProfile(name))
  }
  const load = TARGETS[name]
  if (!load) throw new TargetUnknown(`unknown target '${name}'`, { hint: `built-in targets: ${Object.keys(TARGETS).join(', ')}; or the path of a target profile (defineTarget) such as ./my-sandbox.target.ts` })
  return load()
}
