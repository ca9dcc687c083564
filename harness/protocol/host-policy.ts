/**
 * The one host allowlist every connection gatecrash makes goes through (docs/architecture.md,
 * Safety): the load pools, the off-hot-path helper (OAuth client, admin hooks), the evidence
 * source, the fault proxy and the Toxiproxy driver.
 *
 * gatecrash is an attack tool. Loopback (127.0.0.0/8, ::1, `localhost`) is always allowed; any
 * other host only when a target profile lists it with its acknowledgement (HostAllowance in
 * contracts/target.ts). Two checks, both refusing with TargetUnsafe (ERR_TARGET_UNSAFE, exit 104):
 *
 * - `checkUrl`, before a URL is used: scheme http or https, host `localhost`, a loopback literal or
 *   a listed host (a listed IP literal must be of the entry's class);
 * - `lookup`, at connect time, as the `lookup` of net/tls connections and undici's `connect`: the
 *   addresses a name resolves to, the ones actually dialled. `localhost` must resolve to loopback
 *   only, a listed name to loopback or its entry's class only; one address outside refuses the name.
 *   (net and tls never call `lookup` for an IP literal: `checkUrl` judged it already.)
 *
 * Nothing in gatecrash follows a redirect (undici's `request` does not, and no redirect interceptor
 * is installed; the load pool returns a 3xx as is); a URL a target hands over (RFC 8414 endpoints,
 * registration URIs) is checked like any other when it is called.
 *
 * The default, `HostPolicy.LOOPBACK`, is as strict as gatecrash always was.
 *
 * @example
 *   const policy = HostPolicy.fromProfile([{ host: 'staging.example.internal', acknowledge: 'I own staging.example.internal and may load-test it' }])
 *   policy.checkUrl('https://staging.example.internal/token') // URL
 *   net.connect({ host, port, lookup: policy.lookup })
 */
import { lookup as dnsLookup } from 'node:dns'
import type { LookupAddress, LookupOptions } from 'node:dns'
import { isIPv4, isIPv6 } from 'node:net'
import { TargetUnsafe } from '../contracts/errors.ts'
import type { HostAllowance } from '../contracts/target.ts'

export type AddressClass = 'loopback' | 'private' | 'public' | 'forbidden'

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void
/** dns.lookup's shape, as net, tls and undici call it; tests pass a stub */
export type Resolver = (hostname: string, options: LookupOptions & { all: true }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void
export type LookupHook = (hostname: string, options: LookupOptions, callback: LookupCallback) => void

const LOOPBACK_HINT =
  'gatecrash only talks to loopback targets (127.0.0.0/8, [::1], localhost) unless a target profile lists the host. ' +
  'To test a deployment you own elsewhere, add to the profile: '

/** The acknowledgement a listed host must carry, word for word. */
export function acknowledgementFor(host: string): string {
  return `I own ${host} and may load-test it`
}

function profileEntry(host: string): string {
  return `hosts: [{ host: '${host}', acknowledge: '${acknowledgementFor(host)}' }]`
}

/** The host as WHATWG URL parsing normalises it (lower case, punycode, IPv4 shorthand), IPv6 without brackets. */
function normaliseHost(host: string): string | null {
  const h = host.trim()
  if (h === '') return null
  try {
    const parsed = new URL(`http://${isIPv6(h) ? `[${h}]` : h}/`).hostname
    return bare(parsed)
  } catch {
    return null
  }
}

function bare(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
}

function ipv4Octets(a: string): number[] {
  return a.split('.').map(Number)
}

/** What kind of address an IP literal (as resolved) is; anything not an IP is 'forbidden'. */
export function addressClass(address: string): AddressClass {
  if (isIPv4(address)) {
    const [a, b] = ipv4Octets(address)
    if (a === 127) return 'loopback'
    if (a === 0 || a >= 224 || (a === 169 && b === 254)) return 'forbidden' // unspecified, multicast, reserved, broadcast, link-local (cloud metadata)
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private'
    return 'public'
  }
  if (isIPv6(address)) {
    const a = address.toLowerCase()
    if (a === '::1' || a === '0:0:0:0:0:0:0:1') return 'loopback'
    const mapped = /^(?:0:0:0:0:0:|::)ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a)
    if (mapped) return addressClass(mapped[1])
    // the same as WHATWG URL serialises it: ::ffff:7f00:1
    const hex = /^(?:0:0:0:0:0:|::)ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a)
    if (hex) {
      const hi = parseInt(hex[1], 16)
      const lo = parseInt(hex[2], 16)
      return addressClass(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`)
    }
    const first = parseInt(a.startsWith('::') ? '0' : a.split(':')[0], 16)
    if (first === 0) return 'forbidden' // ::, other IPv4-compatible and reserved forms
    if ((first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00) return 'forbidden' // link-local, multicast
    if ((first & 0xfe00) === 0xfc00) return 'private' // unique local
    if ((first & 0xe000) === 0x2000) return 'public' // global unicast
    return 'forbidden'
  }
  return 'forbidden'
}

/** An IP address (as resolved) inside the loopback allowlist, IPv4-mapped IPv6 included. */
export function isLoopbackAddress(address: string): boolean {
  return addressClass(address) === 'loopback'
}

interface Rule {
  host: string
  network: 'private' | 'public'
}

export interface HostPolicyOptions {
  /** the name resolver under the connect-time check; dns.lookup unless a test stubs it */
  resolve?: Resolver
}

export class HostPolicy {
  /** loopback only: the default, and what the fault proxy and Toxiproxy driver always use */
  static readonly LOOPBACK = new HostPolicy([])

  readonly #rules: Map<string, Rule>
  readonly #resolve: Resolver
  /** the profile's entries as given (accepted): what a worker thread rebuilds the same policy from */
  readonly allowances: readonly HostAllowance[]

  /**
   * From a target profile's `hosts`. An entry without its acknowledgement, or whose host can
   * never be dialled (link-local, multicast…), is refused here, before anything connects.
   */
  static fromProfile(hosts: readonly HostAllowance[] | undefined, options: HostPolicyOptions = {}): HostPolicy {
    const rules: Rule[] = []
    for (const [i, entry] of (hosts ?? []).entries()) {
      const raw = typeof entry?.host === 'string' ? entry.host : ''
      const host = normaliseHost(raw)
      if (host === null) throw new TargetUnsafe(`target profile hosts[${i}]: ${JSON.stringify(raw)} is not a host name or IP address`, { hint: `name a host, e.g. ${profileEntry('staging.example.internal')}` })
      const ack = typeof entry.acknowledge === 'string' ? entry.acknowledge.trim() : ''
      if (ack === '') {
        throw new TargetUnsafe(`target profile lists ${host} without an acknowledgement`, {
          hint: `gatecrash sends attack traffic at load to every host it is allowed to reach. Only for a deployment you own and may load-test, write: ${profileEntry(host)}`,
        })
      }
      if (ack !== acknowledgementFor(raw.trim()) && ack !== acknowledgementFor(host)) {
        throw new TargetUnsafe(`target profile hosts[${i}] (${host}): the acknowledgement must read "${acknowledgementFor(host)}"`, {
          hint: `the acknowledgement names the host it is for; write: ${profileEntry(host)}`,
        })
      }
      const network = entry.network ?? 'private'
      if (network !== 'private' && network !== 'public') throw new TargetUnsafe(`target profile hosts[${i}] (${host}): network must be 'private' or 'public', not ${JSON.stringify(network)}`, { hint: "leave it out for 'private' (the default)" })
      const literal = isIPv4(host) || isIPv6(host) ? addressClass(host) : null
      if (literal === 'forbidden') throw new TargetUnsafe(`target profile hosts[${i}]: ${host} is a link-local, multicast, unspecified or reserved address, never a target`, { hint: 'name the deployment by an address it serves on' })
      if (literal !== null && literal !== 'loopback' && literal !== network) {
        throw new TargetUnsafe(`target profile hosts[${i}]: ${host} is a ${literal} address but the entry allows ${network} ones`, { hint: `add network: '${literal}' to the entry if that is what you mean` })
      }
      rules.push({ host, network })
    }
    return new HostPolicy(rules, options, (hosts ?? []).map((h) => ({ ...h })))
  }

  private constructor(rules: Rule[], options: HostPolicyOptions = {}, allowances: HostAllowance[] = []) {
    this.#rules = new Map(rules.map((r) => [r.host, r]))
    this.allowances = allowances
    this.#resolve = options.resolve ?? (dnsLookup as unknown as Resolver)
  }

  /** the listed hosts (normalised), for messages and tests */
  get hosts(): string[] {
    return [...this.#rules.keys()]
  }

  /**
   * Parses `url` and refuses it unless its scheme is http(s) and its host is allowed by name.
   * WHATWG URL parsing normalises shorthand and hex IPv4 (`127.1`, `0x7f.0.0.1` → `127.0.0.1`)
   * and lower-cases names, so the check sees the host that will be dialled.
   */
  checkUrl(url: string | URL): URL {
    let parsed: URL
    try {
      parsed = typeof url === 'string' ? new URL(url) : url
    } catch (cause) {
      throw new TargetUnsafe(`refusing malformed URL ${JSON.stringify(String(url))}`, { cause, hint: LOOPBACK_HINT + profileEntry('<host>') })
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TargetUnsafe(`refusing ${parsed.protocol} URL ${parsed.href}: only http and https`, { hint: LOOPBACK_HINT + profileEntry('<host>') })
    }
    const host = bare(parsed.hostname)
    if (host === 'localhost') return parsed
    const literal = isIPv4(host) || isIPv6(host) ? addressClass(host) : null
    if (literal === 'loopback') return parsed
    const rule = this.#rules.get(host)
    if (rule === undefined) {
      throw new TargetUnsafe(`refusing ${literal === null ? 'host' : 'non-loopback address'} ${parsed.hostname} (${parsed.origin}): not loopback and not listed in the target profile`, { hint: LOOPBACK_HINT + profileEntry(host) })
    }
    if (literal !== null && literal !== rule.network) {
      throw new TargetUnsafe(`refusing ${parsed.origin}: ${host} is a ${literal} address, the profile allows ${rule.network} ones for it`, { hint: `set network: '${literal}' on the profile's entry for ${host} if that is intended` })
    }
    return parsed
  }

  /**
   * The connect-time check on what a name resolves to: a `lookup` for net.connect, tls.connect and
   * undici's `connect` option. Every address must be allowed for the name, or none is handed on.
   */
  readonly lookup: LookupHook = (hostname, options, callback) => {
    const name = hostname.toLowerCase()
    const rule = name === 'localhost' ? null : this.#rules.get(name)
    if (rule === undefined) {
      callback(new TargetUnsafe(`refusing to resolve ${hostname}: not loopback and not listed in the target profile`, { hint: LOOPBACK_HINT + profileEntry(name) }) as NodeJS.ErrnoException, [])
      return
    }
    this.#resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, [])
      const allowed = rule === null ? 'loopback' : rule.network
      const bad = addresses.find((a) => {
        const c = addressClass(a.address)
        return c !== 'loopback' && c !== allowed
      })
      if (bad !== undefined || addresses.length === 0) {
        const what = bad === undefined ? 'no address' : `${addressClass(bad.address)} address ${bad.address}`
        const hint =
          rule === null
            ? 'localhost must resolve to loopback only (check /etc/hosts); or use 127.0.0.1'
            : `the profile allows ${rule.network} addresses for ${rule.host}; if ${what} is really the deployment, set network: '${bad === undefined ? rule.network : addressClass(bad.address)}' on its entry`
        return callback(new TargetUnsafe(`refusing ${hostname}: it resolves to ${what}, ${rule === null ? 'not loopback' : `not a ${rule.network} address`}`, { hint }) as NodeJS.ErrnoException, [])
      }
      if (options.all) return callback(null, addresses)
      callback(null, addresses[0].address, addresses[0].family)
    })
  }
}

/** Parses `url` and refuses it unless its host is loopback (HostPolicy.LOOPBACK.checkUrl). */
export function assertLoopback(url: string | URL): URL {
  return HostPolicy.LOOPBACK.checkUrl(url)
}

/** The connect-time guard of HostPolicy.LOOPBACK: `localhost` must resolve to loopback only. */
export const loopbackOnlyLookup: LookupHook = HostPolicy.LOOPBACK.lookup

/** undici and net may wrap a lookup's refusal; dig it out so callers see ERR_TARGET_UNSAFE, not a network error. */
export function findUnsafe(err: unknown): TargetUnsafe | null {
  for (let e = err, i = 0; e instanceof Error && i < 5; e = e.cause, i++) if (e instanceof TargetUnsafe) return e
  return null
}
