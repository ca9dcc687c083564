/**
 * Network faults on a target link (latency with jitter, bandwidth, reset, blackhole, slow close):
 * one Toxiproxy toxic on the fault proxy the harness put into that link, removed on heal.
 */
import { LINK_FAULT_KINDS, isLinkFault } from '../fault.ts'
import type { FaultInjector } from '../injector.ts'
import { describeToxic } from '../toxics.ts'
import { FaultInjectionFailed, toxicForFault } from '../toxiproxy-client.ts'

export const linkToxicsInjector: FaultInjector = {
  name: 'fault-proxy',
  kinds: LINK_FAULT_KINDS,
  async inject(spec, ctx) {
    if (!isLinkFault(spec)) throw new TypeError(`fault-proxy cannot inject ${spec.kind}`)
    const toxics = ctx.toxics
    if (!toxics || !toxics.links().includes(spec.component)) {
      throw new FaultInjectionFailed(`link '${spec.component}' does not go through the fault proxy`, {
        hint: `links proxied in this run: ${toxics?.links().join(', ') || 'none'}`,
      })
    }
    const name = `gatecrash-f${ctx.index + 1}-${spec.kind}`
    await toxics.add(spec.component, { ...toxicForFault(spec), name })
    let healed = false
    return {
      detail: `${describeToxic(spec)} on ${spec.component}`,
      async heal() {
        if (healed) return
        healed = true
        await toxics.remove(spec.component, name)
      },
    }
  },
}
