/**
 * What the adapter sends each component over IPC when it starts it. Secrets (the initial access
 * token) travel this way rather than in argv or the environment, where other processes can read them.
 */
import type { TrustedIssuer } from '../../../harness/contracts/target.ts'

export interface SinkConfig {
  /** the JSONL log lives here; a restarted sink reloads it */
  dataDir: string
  /**
   * SHA-256 (base64url) of the bearer secret the target's evidence writers present at `POST /ingest`
   * (WriterSettings.evidenceSecret). Only the hash: it lets nobody write, so this config may still
   * travel in a container's environment.
   */
  ingestTokenHash: string
  /** flaw switches that act in the sink (`evidence-chain-broken`, `evidence-tail-truncated`, `evidence-history-rewritten`) */
  flaws: string[]
}

/** Settings every evidence writer (AS and replicas) takes from the adapter. */
export interface WriterSettings {
  /**
   * the per-target bearer secret writers present at the sink's `POST /ingest`: the hash chain is
   * unkeyed, so without it any local process could append a forged record that links to a head
   */
  evidenceSecret: string
  /**
   * the target's data directory: each writer keeps a small delivery marker there, so a writer
   * restarted after losing buffered records writes a `system.evidence_gap` record. Omitted: no marker.
   */
  dataDir?: string
  /** records a writer buffers while the sink is unreachable before it refuses (default 100 000) */
  evidenceMaxBuffer?: number
}

export interface AsConfig extends WriterSettings {
  /** the AS's path to the evidence sink (through the fault proxy when the harness gave one) */
  sinkUrl: string
  trust: TrustedIssuer
  initialAccessToken: string
  flaws: string[]
  tokenTtlS: number
  /** bearer secret of the loopback admin API (admin-client.ts); without it the admin API refuses all */
  adminSecret?: string
  /** shared with the resource servers: authenticates lifecycle pushes (AS → replica) and snapshot pulls */
  lifecycleSecret?: string
  /**
   * 32 random bytes (base64url) sealing the signing keys in the AS state journal (`as-state.jsonl`
   * in `dataDir`), which is what lets a restarted AS keep its clients, keys and lifecycle state.
   * Without `dataDir` and this key the AS keeps its state in memory only (a restart loses it).
   */
  stateKey?: string
  /** resource servers known before start (a restart): as if each was sent as `add-resource` */
  resources?: ResourceRegistration[]
}

export interface RsConfig extends WriterSettings {
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
  /** bound on one replay check, queueing to answer; slower is unavailable (503, fail closed). Default 1000 */
  replayTimeoutMs?: number
  /** the AS issuer identifier tokens must carry (never a proxied URL) */
  issuer: string
  /** where the replica fetches the AS keys (the 'jwks' link: through the fault proxy when one is given) */
  jwksUri: string
  /** bound on one JWKS fetch (default 1000 ms); an unknown kid meanwhile is 503, never served */
  jwksTimeoutMs?: number
  /** base URL the replica pulls the lifecycle snapshot from (default: `issuer`); the 'jwks' link too */
  lifecycleUrl?: string
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
   * internal-listener base URLs of every replica of this resource server (never the front, nor a
   * replica's public listener, neither of which routes the push): the AS pushes revocations,
   * offboarding and key retirement to each before it answers. Send the call again, with the full
   * list, after any replica (re)starts.
   */
  replicaUrls?: string[]
}

/**
 * Parent → child messages; `port` and `internalPort` (a restart) make the child listen where it
 * listened before (the internal listener: a replica's, child-main.ts)
 */
export type ParentMessage =
  | { type: 'start'; config: unknown; port?: number; internalPort?: number }
  | { type: 'call'; id: number; method: string; params: unknown }

/** Child → parent messages */
export type ChildMessage =
  | { type: 'ready'; url: string; internalUrl?: string }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; ok: boolean; value?: unknown; error?: string }
