/**
 * `host:port` addresses as Toxiproxy writes them (`127.0.0.1:8080`, `[::1]:8080`, `localhost:0`),
 * restricted to loopback: the fault proxy only listens on and dials this machine (docs/architecture.md, Safety).
 *
 * @example
 *   parseHostPort('[::1]:0') // { host: '::1', port: 0 }
 *   formatHostPort('::1', 4242) // '[::1]:4242'
 */
import { isLoopbackAddress } from '../../protocol/http.ts'

export interface HostPort {
  host: string
  port: number
}

/** null when `text` is not `host:port` with a port in 0..65535 */
export function parseHostPort(text: string): HostPort | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim())
  if (m === null) return null
  const port = Number(m[3])
  if (port > 65_535) return null
  return { host: (m[1] ?? m[2]).toLowerCase(), port }
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** `localhost` (resolved later through the loopback-only lookup) or a loopback IP literal */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host)
}
