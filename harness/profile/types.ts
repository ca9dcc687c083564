/**
 * A target profile: how gatecrash finds, starts and talks to a deployment the user owns, in a file
 * the user writes (`my-sandbox.target.ts`, `export default defineTarget({...})`), validated as
 * strictly as a scenario (unknown key or wrong type → exit 104 naming the file and the dotted key).
 * Nothing proprietary is asked of the deployment: discovery is RFC 8414, identities come from RFC
 * 7591 registration or a file of pre-registered clients, delegation is RFC 8693, evidence is read
 * from where the deployment keeps it and mapped onto the evidence record.
 *
 * Secrets never live in the profile: the initial access token and admin credentials are named by
 * the environment variable that holds them.
 *
 * @example
 * ```ts
 * import { defineTarget } from 'gatecrash'
 * export default defineTarget({
 *   name: 'my-sandbox',
 *   issuer: 'http://127.0.0.1:4100',
 *   resources: [{ id: 'tools', audience: 'https://tools.example', origin: 'http://127.0.0.1:4200', tools: [
 *     { name: 'tickets.read', method: 'GET', path: '/t/{tenant}/tickets/{id}', scope: 'tickets:read' },
 *   ] }],
 *   identities: { registration: { initialAccessToken: { env: 'SANDBOX_IAT' } } },
 *   evidence: { source: { kind: 'jsonl', file: './audit.jsonl', mapping: { fields: { … } } } },
 * })
 * ```
 */
import type { EvidenceSourceSpec, HostAllowance, InternalPath, TargetCapabilities, TargetPolicy, TargetTlsOptions, ToolFixture } from '../contracts/target.ts'
import type { DeploymentSpec } from './deployment.ts'

export type * from './deployment.ts'

/** Where a secret comes from: always the environment, never the file. */
export interface EnvSecret {
  env: string
}

export interface ToolProfile {
  /** operation name, e.g. `refund.issue` */
  name: string
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** path template with `{tenant}` and `{id}` placeholders */
  path: string
  /** the scope the tool requires: the population's entitlements are drawn from these */
  scope: string
  /** true when a call changes state (a refused call must leave no side effect); default false */
  writes?: boolean
  /** numeric ceiling on a body field, e.g. `{ field: 'amount', max: 500 }` */
  limit?: { field: string; max: number }
  /**
   * A write tool only: a call your deployment treats as safe, e.g. `{ body: { ticket_id: 'preflight',
   * amount: 0, dry_run: true } }`, with `id` when the path has `{id}`. `gatecrash target check` changes
   * nothing it need not, so it calls a write tool only with this fixture or with `--call-writes` (a
   * run's arguments); only you know which call leaves no trace worth undoing.
   */
  preflight?: ToolFixture
}

/**
 * A resource server: its audience and origin stated, or read from its RFC 9728 protected-resource
 * metadata (`metadata`: the metadata URL, or `true` for the well-known URL of `audience`).
 */
export type ResourceProfile = {
  id: string
  tools: ToolProfile[]
  /**
   * Endpoints of this resource server that are not for agents (management reads, the calls your
   * own components make to it), e.g. `{ name: 'ledger read', method: 'GET', path: '/admin/ledger',
   * role: 'admin' }`. The escalate.internal-endpoint.* cases call them through `origin`, where they
   * must not be routed; without any those cases are not covered.
   */
  internalPaths?: InternalPath[]
} & (
  | {
      /** the audience / RFC 8707 resource indicator tokens for this server carry */
      audience: string
      /** base URL requests are sent to; DPoP `htu` is built from it */
      origin: string
      metadata?: undefined
    }
  | {
      /**
       * RFC 9728 §3: the URL of the server's protected-resource metadata, e.g.
       * `https://rs.example/.well-known/oauth-protected-resource`. Its `resource` member becomes the
       * audience and the origin; its `authorization_servers`, when present, must list the issuer.
       */
      metadata: string
      audience?: undefined
      origin?: undefined
    }
)

/**
 * How a principal's tenant reaches the AS. `subject-claim` (default): a claim of the subject token
 * the harness's workforce IdP signs. `registration-member`: a client metadata member at RFC 7591
 * registration. `initial-access-token`: one initial access token per tenant (the AS knows the
 * tenant from the token the client registered with).
 */
export type TenancyProfile =
  | { via: 'subject-claim'; claim?: string }
  | { via: 'registration-member'; member: string }
  | { via: 'initial-access-token'; perTenant: Record<string, EnvSecret> }

export interface RegistrationProfile {
  /** RFC 7591 initial access token (omit when the AS allows open registration) */
  initialAccessToken?: EnvSecret
  /** extra client metadata the AS needs on every registration (never a secret) */
  metadata?: Record<string, string | number | boolean | string[]>
  /** default `subject-claim` with claim `tenant` */
  tenancy?: TenancyProfile
  /**
   * A member that names a sub-agent's parent client at registration, for an AS that links the two
   * that way; by default the parent is established by the exchange itself (the parent's token as
   * subject token, the sub-agent authenticating as the actor).
   */
  parentMember?: string
  /** after the run: RFC 7592 delete every client the run registered (default) or keep them */
  cleanup?: 'delete' | 'keep'
}

/**
 * For an AS without dynamic registration: a JSON file (relative to the profile; keep it out of the
 * repository, it holds private keys) of clients registered beforehand, one per agent and sub-agent
 * the population needs: `[{ "client_id": "…", "jwk": { private P-256 JWK }, "tenant": "t_1" }]`
 * (`tenant` optional: such a client serves any tenant). They are kept after the run.
 */
export interface PreRegisteredProfile {
  file: string
}

/** Exactly one of: RFC 7591 registration, or clients registered beforehand. */
export type IdentitiesProfile = { registration: RegistrationProfile; clients?: undefined } | { clients: PreRegisteredProfile; registration?: undefined }

/**
 * Where principals' subject tokens come from (exactly one):
 * - `idp`: the harness's simulated workforce IdP; `keyFile` makes its key stable across runs
 *   (`gatecrash idp init` writes it), and during a run the harness serves its JWKS on `jwksPort` of
 *   127.0.0.1 for an AS that fetches keys by URL. The default when `principals` is omitted.
 * - `command`: for an AS that trusts the user's own IdP, a command that prints one subject token for
 *   a principal on stdout. Cases that sign subject tokens of their own making are then not covered.
 */
export type PrincipalsProfile = { idp: IdpProfile; command?: undefined } | { command: SubjectTokenCommandProfile; idp?: undefined }

export interface IdpProfile {
  keyFile?: string
  jwksPort?: number
  issuer?: string
}

/**
 * No shell; `node` means the Node that runs gatecrash; run in the profile's folder with gatecrash's
 * environment (where the IdP's credentials live). Placeholders in `run`: {principal} (the
 * population's user id), {tenant}, {scope} (the user's entitlements, space-separated), {audience}
 * (the AS issuer). Called once per exchange, never cached: an AS may refuse a subject token twice.
 */
export interface SubjectTokenCommandProfile {
  run: string[]
  /** RFC 8693 §3 subject_token_type of what it prints (default urn:ietf:params:oauth:token-type:jwt) */
  tokenType?: string
  /** per call (default 10s) */
  timeout?: string
  /** calls at once (default 8) */
  concurrency?: number
}

/**
 * One admin hook: a command (no shell; `node` means the Node that runs gatecrash; run in the
 * profile's folder) or an HTTP call (loopback unless the host is acknowledged), with the
 * placeholders {client_id}, {kid}, {ttl_s}, {trace_id} in its arguments, URL or body values.
 */
export type AdminHook =
  | { command: string[] }
  | { http: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; headers?: Record<string, string | EnvSecret>; body?: Record<string, string> } }

/** What the lifecycle cases and key-rotation faults ask of a deployment beyond the standards; each optional. */
export interface AdminHooksProfile {
  /** adds a signing key and makes it current; answers the new kid */
  rotateSigningKey?: AdminHook
  /** removes a kid from the JWKS: tokens it signed must stop working at once */
  retireSigningKey?: AdminHook
  /** answers the kid new tokens are signed with */
  currentSigningKid?: AdminHook
  /** the lifetime of the next tokens issued to one client ({client_id}, {ttl_s}) */
  setTokenTtl?: AdminHook
  /** side-effect probe: how many writes the deployment recorded for a request ({trace_id}) */
  sideEffectCount?: AdminHook
}

export interface TargetProfile {
  name: string
  description?: string
  /** the AS issuer identifier; metadata at `${issuer}/.well-known/oauth-authorization-server` (RFC 8414) */
  issuer: string
  /** overrides of what discovery says (a capability the metadata does not advertise, or one to leave out) */
  capabilities?: Partial<TargetCapabilities>
  resources: ResourceProfile[]
  identities: IdentitiesProfile
  principals?: PrincipalsProfile
  evidence: { source: EvidenceSourceSpec }
  admin?: AdminHooksProfile
  /** how to start the deployment and stop it after (omit when it is already running) */
  deployment?: DeploymentSpec
  /** the deployment's choices where the RFCs leave one; the grading follows them */
  policy?: TargetPolicy
  /**
   * hosts other than loopback gatecrash may connect to, each with the sentence
   * `I own <host> and may load-test it` (docs/architecture.md "Safety"); without them: loopback only
   */
  hosts?: HostAllowance[]
  /** TLS: the CA file (PEM, relative to the profile) that signs the deployment's certificates */
  tls?: TargetTlsOptions
}

/** Identity function that exists for type inference in profile files (like defineScenario). */
export function defineTarget<const T extends TargetProfile>(profile: T): T {
  return profile
}
