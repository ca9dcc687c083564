/**
 * What the adapter sends each component over IPC when it starts it. Secrets (the initial access
 * token) travel this way rather than in argv or the environment, where other processes can read them.
 */
import type { TrustedIssuer } from '../../../harness/target/types.ts'

export interface SinkConfig {
  dataDir: string
  /** flaw switches that act in the sink (`evidence-chain-broken`) */
  flaws: string[]
}

export interface AsConfig {
  sinkUrl: string
  trust: TrustedIssuer
  initialAccessToken: string
  flaws: string[]
  tokenTtlS: number
  /** bearer secret of the loopback admin API (admin-client.ts); without it the admin API refuses all */
  adminSecret?: string
  /** shared with the resource servers: authenticates lifecycle pushes (AS → replica) and snapshot pulls */
  lifecycleSecret?: string
}

export interface RsConfig {
  /** the resource server this replica belongs to, e.g. `rs-1`; picks its tool set */
  id: string
  /** this replica: evidence component name and replay-record `node`, e.g. `rs-1/0` */
  node: string
  /** the audience tokens must carry: the front's URL */
  audience: string
  /** the public origin DPoP `htu` is checked against (the front's URL), never the Host header */
  origin: string
  sinkUrl: string
  /** the shared replay store (replay-store/); unused under `replay-cache-per-replica` */
  replayStoreUrl: string
  issuer: string
  jwksUri: string
  flaws: string[]
  /** the AS's lifecycle secret (lifecycle-events.ts); without it the replica takes no lifecycle pushes */
  lifecycleSecret?: string
}

/** A round-robin front: the replica base URLs it spreads connections over. */
export interface FrontConfig {
  upstreams: string[]
}

export interface ReplayStoreConfig {
  /** bound on live entries; a full store answers 503 and the resource servers fail closed */
  maxEntries?: number
}

/** Told to the AS once a resource server is up: its audience and the scopes its tools need. */
export interface ResourceRegistration {
  audience: string
  scopes: string[]
  /**
   * base URLs of every replica of this resource server (not the front): the AS pushes revocations,
   * offboarding and key retirement to each before it answers. Send the call again, with the full
   * list, after any replica (re)starts.
   */
  replicaUrls?: string[]
}

/** Parent → child messages */
export type ParentMessage =
  | { type: 'start'; config: unknown }
  | { type: 'call'; id: number; method: string; params: unknown }

/** Child → parent messages */
export type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; ok: boolean; value?: unknown; error?: string }
