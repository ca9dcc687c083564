/**
 * What the adapter sends each component over IPC when it starts it. Secrets (the initial access
 * token) travel this way rather than in argv or the environment, where other processes can read them.
 */
import type { TrustedIssuer } from '../../../harness/target/types.ts'

export interface SinkConfig {
  dataDir: string
}

export interface AsConfig {
  sinkUrl: string
  trust: TrustedIssuer
  initialAccessToken: string
  flaws: string[]
  tokenTtlS: number
}

export interface RsConfig {
  /** evidence component name and replay-record `node`, e.g. `rs-1` */
  id: string
  sinkUrl: string
  issuer: string
  jwksUri: string
  flaws: string[]
}

/** Told to the AS once a resource server is up: its audience and the scopes its tools need. */
export interface ResourceRegistration {
  audience: string
  scopes: string[]
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
