/**
 * How link faults reach the fault proxy: the driver interface the link injector uses (the built-in
 * fault proxy and a user's Toxiproxy both implement it through Toxiproxy's HTTP API,
 * proxy-links.ts), and the human-readable description of a toxic.
 */
import type { LinkFaultSpec } from './fault.ts'
import type { ToxicInput } from './toxiproxy-client.ts'

/** What the link injector needs from a fault proxy: toxics on the links it proxies. */
export interface ToxicDriver {
  /** the links that go through the fault proxy in this run */
  links(): readonly string[]
  add(link: string, toxic: ToxicInput & { name: string }): Promise<void>
  remove(link: string, name: string): Promise<void>
}

/** 'latency 800±100 ms', 'reset', 'blackhole', … for logs and the report. */
export function describeToxic(spec: LinkFaultSpec): string {
  const p = spec.probability !== undefined && spec.probability < 1 ? `, p=${spec.probability}` : ''
  const dir = spec.stream === 'upstream' ? ', upstream' : ''
  switch (spec.kind) {
    case 'latency':
      return `latency ${spec.ms}${spec.jitterMs ? `±${spec.jitterMs}` : ''} ms${dir}${p}`
    case 'bandwidth':
      return `bandwidth ${spec.rate} KB/s${dir}${p}`
    case 'reset':
      return `connection reset${spec.afterMs ? ` after ${spec.afterMs} ms` : ''}${dir}${p}`
    case 'blackhole':
      return `blackhole${spec.closeAfterMs ? ` (closed after ${spec.closeAfterMs} ms)` : ''}${dir}${p}`
    case 'slow-close':
      return `slow close ${spec.delayMs} ms${dir}${p}`
  }
}
