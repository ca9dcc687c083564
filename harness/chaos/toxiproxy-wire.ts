/**
 * Toxiproxy's HTTP API shapes (Shopify/toxiproxy api.go and README "Toxics"), for the subset the
 * link faults use. One definition for both sides: the client that drives a Toxiproxy
 * (toxiproxy-client.ts) and the embedded fault proxy that answers the same API (fault-proxy/).
 */

export type ToxicType = 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer'
/** `downstream` is server → client */
export type ToxicStream = 'upstream' | 'downstream'

/**
 * A toxic as the API returns it. `T` widens the type for a client reading a real Toxiproxy, which
 * may hold toxic types the embedded proxy does not implement.
 */
export interface Toxic<T extends string = ToxicType> {
  name: string
  type: T
  stream: ToxicStream
  /** probability that the toxic applies to a connection, 0..1 */
  toxicity: number
  /** whole milliseconds (KB/s for `bandwidth.rate`) */
  attributes: Record<string, number>
}

export interface ToxicInput {
  /** default `<type>_<stream>` */
  name?: string
  type: ToxicType
  /** default 'downstream' (server → client) */
  stream?: ToxicStream
  /** probability that the toxic applies to a connection, 0..1; default 1 */
  toxicity?: number
  attributes: Record<string, number>
}

export interface ProxyInfo<T extends string = ToxicType> {
  name: string
  /** the address actually listened on (port 0 resolved) */
  listen: string
  upstream: string
  enabled: boolean
  toxics: Toxic<T>[]
}

export interface CreateProxyInput {
  name: string
  /** default '127.0.0.1:0': the proxy picks a free port and reports it in `listen` */
  listen?: string
  /** `host:port`, or a URL whose host and port are used */
  upstream: string
  enabled?: boolean
}
