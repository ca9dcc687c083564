/** The built-in fault injectors; a run's own plugins (RunOptions.injectors) are tried first. */
import type { FaultInjector } from '../injector.ts'
import { clockSkewInjector } from './clock-skew.ts'
import { keyRotationInjector } from './key-rotation.ts'
import { linkToxicsInjector } from './link-toxics.ts'
import { processInjector } from './process.ts'

export function builtinInjectors(): FaultInjector[] {
  return [linkToxicsInjector, processInjector, clockSkewInjector, keyRotationInjector]
}

export { clockSkewInjector, keyRotationInjector, linkToxicsInjector, processInjector }
