/**
 * The target contract as the engine sees it. A target adapter (reference, profile, container…)
 * starts or locates a deployment and hands back a StartedTarget; the engine then talks to it only
 * through discovery (RFC 8414, RFC 9728), the protocols, and the evidence source.
 */
import type { JWK } from 'jose'
import type { IdentityKey } from './identity.ts'
import type { EvidenceMappingSpec } from './evidence-mapping.ts'

export interface ToolSpec {
  /** operation name, e.g. `refund.issue` (MCP puts many tools behind one URL, so attempts name tools) */
  name: string
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** path template with `{tenant}` and `{id}` placeholders, e.g. `/t/{tenant}/tickets/{id}` */
  path: string
  scope: string
  /** true when a call changes state (a refused call must leave no side effect) */
  writes: boolean
  /** numeric ceiling on a body field, e.g. refund amount */
  limit?: { field: string; max: number }
  /**
   * A write tool only: the call `gatecrash target check` makes to it without `--call-writes`. Only
   * the deployment's owner knows which call changes nothing (a dry run, a sandbox ticket…), so the
   * target declares it; without one, the preflight leaves the tool alone unless told otherwise.
   */
  preflight?: ToolFixture
}

/** One call of a tool, as data: what fills the path's `{id}` and the JSON body sent. */
export interface ToolFixture {
  /** the `{id}` of the path (present exactly when the path has the placeholder) */
  id?: string
  /** the JSON object sent as the request body; none is sent without it */
  body?: Record<string, unknown>
}

export interface ResourceServerInfo {
  id: string
  /** the audience / RFC 8707 resource identifier tokens for this server carry in `aud` */
  audience: string
  /** base URL requests are sent to (the front); DPoP `htu` is built from it */
  origin: string
  tools: ToolSpec[]
  /**
   * Endpoints this resource server has that are NOT for agents: management reads and the calls its
   * own peers make to it. The escalate.internal-endpoint.* cases call each through `origin`, where
   * a correct deployment does not route it. Absent or empty: those cases are not covered.
   */
  internalPaths?: InternalPath[]
}

/**
 * One internal or management endpoint, as the deployment's owner knows it (the harness cannot
 * guess a deployment's private paths, so the target declares them).
 */
export interface InternalPath {
  /** what it is, for reports: e.g. `refund ledger read` */
  name: string
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** an absolute path as sent to the public origin, e.g. `/admin/refunds`; no placeholders */
  path: string
  /**
   * `admin`: an operator's management endpoint (state reads, counters, configuration);
   * `peer`: one another component of the deployment calls (a lifecycle or revocation push, a cache
   * invalidation)
   */
  role: 'admin' | 'peer'
  /**
   * the JSON body sent with it; choose one that changes nothing if it were served (e.g. an empty
   * event list)
   */
  body?: Record<string, unknown>
}

export interface TargetCapabilities {
  dpop: boolean
  tokenExchange: boolean
  clientCredentials: boolean
  registration: boolean
  revocation: boolean
  clientDeletion: boolean
  adminHooks: boolean
  /**
   * The AS trusts the harness's workforce IdP, so cases may sign subject tokens of their own making
   * (expired, with `may_act`, with wider entitlements). False when principals' tokens come from a
   * command the profile names: an assertion the AS cannot verify would be refused for its signature,
   * and that refusal would prove nothing about the rule the case tests.
   */
  harnessIdp: boolean
  /** resource-server replicas behind each front (concurrency cases need ≥ 2) */
  replicas: number
}

/** Where the target's audit records are read from (harness/evidence/open-source.ts resolves each kind). */
export type EvidenceSourceSpec = HttpCursorSourceSpec | JsonlSourceSpec | CombinedSourceSpec | PostgresSourceSpec | OtlpLogsSourceSpec | HttpLogApiSourceSpec

export interface HttpCursorSourceSpec {
  kind: 'http-cursor'
  /** base URL of the evidence sink: GET {url}/records?after=&limit=, GET {url}/heads */
  url: string
}

/** A file the deployment appends its own audit records to, one JSON object per line (unchained). */
export interface JsonlSourceSpec {
  kind: 'jsonl'
  /** the file's path (relative: to the working directory) */
  file: string
  /** from the deployment's record to EvidenceRecord (docs/evidence-mapping.md) */
  mapping: EvidenceMappingSpec
  /** how long the run's first read waits for the file to appear, a k6 duration (default '5s') */
  waitForFile?: string | number
}

/**
 * A PostgreSQL table (or query) the deployment inserts its audit records into (unchained), read in
 * pages by a cursor column with a lookback for rows that commit out of order
 * (docs/evidence-sources/postgres.md).
 */
export interface PostgresSourceSpec {
  kind: 'postgres'
  /** the environment variable holding the connection string (never the string itself: it holds a password) */
  connectionEnv: string
  /** the table, optionally schema-qualified (`audit.events`); or `query` */
  table?: string
  /** a SELECT whose rows are the records, read as a subquery; instead of `table` */
  query?: string
  /** the cursor: an ever-increasing column (`'id'`), or a time column then a unique tie-breaker (`{ time: 'created_at', id: 'id' }`) */
  cursor: string | { time: string; id: string }
  /** how far behind the newest row each read looks again for rows committed late (k6 duration, default '5s') */
  lookback?: string | number
  /** rows per page (default 2,000) */
  pageSize?: number
  /** from a row (its columns; a json/jsonb column as an object) to EvidenceRecord (docs/evidence-mapping.md) */
  mapping: EvidenceMappingSpec
}

/**
 * OpenTelemetry log records the deployment exports over OTLP/HTTP (JSON or protobuf, gzip or not) to
 * a receiver gatecrash runs on loopback for the run (docs/evidence-sources/otlp-logs.md). Unchained.
 */
export interface OtlpLogsSourceSpec {
  kind: 'otlp-logs'
  /** the receiver's loopback port (default: a free one, told to a deployment gatecrash starts through OTEL_EXPORTER_OTLP_LOGS_ENDPOINT) */
  port?: number
  /**
   * The environment variable holding the secret every export must carry (header `x-gatecrash-secret`)
   * when gatecrash does not start the deployment; default: a fresh secret per run, told to a
   * deployment gatecrash starts through OTEL_EXPORTER_OTLP_LOGS_HEADERS.
   */
  secretEnv?: string
  /** from a log record (docs/evidence-sources/otlp-logs.md "What the mapping reads") to EvidenceRecord */
  mapping: EvidenceMappingSpec
}

/**
 * Any HTTP API that pages through a deployment's audit log with a cursor, the way identity providers'
 * system logs do (docs/evidence-sources/http-log-api.md). Unchained.
 */
export interface HttpLogApiSourceSpec {
  kind: 'http-log-api'
  /** the first page's URL (a `since=` in it bounds the history read at the run's start); `{limit}` is replaced by the page size */
  url: string
  /**
   * With `next: { body }`: the query parameter of `url` that carries the body's cursor on later
   * pages. Absent: the body's value is itself the next page's URL (absolute, or relative to the page).
   * Not with `next: 'link'`.
   */
  cursorParam?: string
  /**
   * Where the next page comes from: an RFC 8288 `Link: <…>; rel="next"` header, or a field of the
   * body holding the cursor. A page that names no next one is polled again.
   */
  next: 'link' | { body: string }
  /** the dotted path of the records array in the body ('' or absent: the body is the array; needs `next: 'link'`) */
  records?: string
  /** an auth header whose value comes from an environment variable: `{ header: 'Authorization', env: 'LOGS_TOKEN', prefix: 'SSWS ' }` */
  auth?: { header: string; env: string; prefix?: string }
  /** records per page (default 1,000), at most what the API serves per page: a shorter page is read as "caught up" */
  pageSize?: number
  /** from a record of the API's to EvidenceRecord (docs/evidence-mapping.md); must map `id` to the API's own event id (or give `map`) */
  mapping: EvidenceMappingSpec
}

/** Several trails read as one (e.g. the authorization server's and the resource servers' logs). */
export interface CombinedSourceSpec {
  kind: 'combined'
  sources: EvidenceSourceSpec[]
}

/**
 * A host other than loopback that a target profile lets gatecrash connect to (docs/architecture.md
 * "Safety"). gatecrash is an attack tool: without such an entry it talks to loopback only.
 */
export interface HostAllowance {
  /** a DNS name or an IP address, matched exactly (case-insensitive, no wildcards, any port) */
  host: string
  /**
   * The sentence `I own <host> and may load-test it`, with `host` spelled as above. Anything else
   * (missing, empty, another host's sentence) is refused: the entry must be written on purpose,
   * for this host, not copied from another one.
   */
  acknowledge: string
  /**
   * The class of address the host may resolve to (checked on every connection, on the address
   * actually dialled): `private` (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, the default) or
   * `public` (global unicast). Loopback is always allowed; link-local (169.254/16, e.g. cloud
   * metadata; fe80::/10), unspecified, multicast and reserved addresses never are.
   */
  network?: 'private' | 'public'
}

/** TLS to a target: what a profile states once and every connection to that target uses. */
export interface TargetTlsOptions {
  /** path of a PEM file with the CA certificate(s) that sign the target's server certificates; default: Node's roots plus the system's */
  ca?: string
}

/**
 * How gatecrash connects to a target, stated once by a target profile: the load pools
 * (harness/load/http-pool.ts), the off-hot-path helper (OAuth client, admin hooks, harness/protocol/http.ts)
 * and the evidence source all take it.
 *
 * @example
 *   { hosts: [{ host: 'staging.example.internal', acknowledge: 'I own staging.example.internal and may load-test it' }], tls: { ca: './staging-ca.pem' } }
 */
export interface TargetConnectionOptions {
  hosts?: HostAllowance[]
  tls?: TargetTlsOptions
}

export interface TrustedIssuer {
  issuer: string
  jwks: { keys: JWK[] }
}

export interface TargetStartOptions {
  /** the harness's simulated workforce IdP, which the target's AS must trust for subject tokens */
  trust: TrustedIssuer
  /** flaw switches (reference target only); unknown names are an error */
  flaws?: string[]
  /** where components keep files (evidence log, etc.) */
  dataDir: string
  /** bootstrap secret for RFC 7591 registration; generated by the harness, never from scenario files */
  initialAccessToken: string
  log?: (line: string) => void
  /**
   * Chaos: lets the harness put its fault proxy into a network link before anything uses it. The
   * adapter calls it once per link it exposes (e.g. 'rs-1' for the front the agents call, 'jwks'
   * for the resource servers' path to the AS keys, 'replay-store', 'evidence-sink') with the
   * upstream URL, and uses the URL it returns instead, everywhere that link is used (so DPoP `htu`
   * and audiences name the proxied origin).
   */
  proxy?: (link: string, upstream: string) => Promise<string>
  /**
   * The target profile's connection options, as the harness uses them for its own connections. An
   * adapter that talks to the deployment itself (readiness checks, admin hooks) makes its
   * connections through them too: `new HttpClient({ hosts: HostPolicy.fromProfile(connection.hosts), tls: connection.tls })`
   * (harness/protocol/http.ts). Absent: loopback only.
   */
  connection?: TargetConnectionOptions
  /**
   * Environment every component the adapter starts must get so its audit records reach the run's
   * evidence source (EvidenceSource.exportEnv: an OTLP receiver's endpoint and secret header).
   */
  evidenceEnv?: Record<string, string>
}

/** Process and link faults a target supports (targets the harness started itself). */
export interface TargetChaosHooks {
  /** links the adapter routes through `proxy` when one is given */
  links: string[]
  /** components that can be killed, paused, resumed and restarted */
  processes: string[]
  /** those of them that run in containers (their faults go through the container engine, not signals) */
  containers?: string[]
  kill(component: string): Promise<void>
  /** SIGSTOP: the process stops answering but keeps its sockets */
  pause(component: string): Promise<void>
  resume(component: string): Promise<void>
  /** starts a killed or running component again on the same address, with its configuration */
  restart(component: string): Promise<void>
  /** pids of every process the target runs, for a later start to clean up after a killed harness */
  pids(): number[]
}

export interface StartedComponent {
  name: string
  url: string
  /** a second, loopback-only listener for the deployment's own calls (a reference replica's admin read and lifecycle push) */
  internalUrl?: string
  pid?: number
  /**
   * where the component keeps its files (the reference evidence sink: its log), for a target the
   * harness started; lets a test plugin reach a component's own store the way an insider on the
   * host would
   */
  dataDir?: string
}

/**
 * Optional admin hooks (target contract: "rotate signing keys, offboard an agent, read state to
 * detect side effects"). The reference target serves them on a loopback-only admin API; a case that
 * needs a missing hook is `not-covered`.
 */
export interface TargetAdmin {
  /** adds a new AS signing key and makes it the one new tokens are signed with */
  rotateSigningKey(): Promise<{ kid: string }>
  /** removes a key from the AS JWKS; tokens signed with it must stop working at once */
  retireSigningKey(kid: string): Promise<void>
  /** the kid new tokens are signed with now */
  currentSigningKid(): Promise<string>
  /** lifetime of the next tokens issued to this client (lifecycle cases without waiting minutes) */
  setTokenTtl(clientId: string, ttlS: number): Promise<void>
  /** side-effect probe: refunds the target recorded for a request with this trace id */
  refundCount(traceId: string): Promise<number>
}

/**
 * The target's choices where the RFCs leave one, which the grading follows (docs/attack-catalog.md
 * "Grading"). Absent: the strictest reading (the reference target's).
 */
export interface TargetPolicy {
  /**
   * how long tokens already issued to an offboarded (RFC 7592-deleted) client may keep working at
   * the resource servers; default 0 (at once)
   */
  offboardingPropagationS?: number
  /** the longest lifetime this deployment's access tokens may have (the issued-token lifetime check); default 3600 s, a scenario's `policy.maxTokenLifetime` wins */
  maxTokenLifetimeS?: number
  /**
   * How old a DPoP proof may be (how far its iat may lie in the past of the resource servers' clock)
   * and still be accepted (RFC 9449 §4.3 (11), §11.1), in seconds; for a symmetric window (±60 s),
   * its half-width. Replay cases resend a proof just inside it, so a refusal there can only come
   * from the replay check; absent, the window-end case is not-covered (a guess too wide would have
   * its original refused by the iat check).
   */
  dpopProofWindowS?: number
}

/**
 * How the harness registers its clients at this target (RFC 7591). A standards-only AS needs nothing
 * but the initial access token (if it asks for one); an AS that learns a client's tenant, or a
 * sub-agent's parent, from registration members says so here. Nothing of it is sent to the AS that
 * the AS did not ask for.
 */
export interface RegistrationPolicy {
  /** the initial access token for a client of `tenant`; undefined: open registration */
  initialAccessToken(tenant: string): string | undefined
  /** members added to a registration besides the standard ones (RFC 7591 §2), for one client */
  members(client: { tenant: string; parentClientId?: string }): Record<string, unknown>
  /** after the run: delete every client the run registered (RFC 7592) or keep them */
  cleanup: 'delete' | 'keep'
  /**
   * For an AS without dynamic registration: the next pre-registered client (its id and private
   * key) for a client of `tenant`, used instead of registering one; undefined when none is left.
   */
  preRegistered?(tenant: string): { clientId: string; key: IdentityKey } | undefined
}

/** `E`: the evidence source it declares (an adapter that always serves one kind says which, e.g. the reference target's sink). */
export interface StartedTarget<E extends EvidenceSourceSpec = EvidenceSourceSpec> extends AsyncDisposable {
  name: string
  version: string
  /** AS issuer identifier; metadata at `${issuer}/.well-known/oauth-authorization-server` */
  issuer: string
  resources: ResourceServerInfo[]
  capabilities: TargetCapabilities
  evidence: E
  components: StartedComponent[]
  flaws: string[]
  admin?: TargetAdmin
  chaos?: TargetChaosHooks
  /** how clients register here; absent: open registration with the run's initial access token and no extra members */
  registration?: RegistrationPolicy
  policy?: TargetPolicy
  stop(): Promise<void>
}

export interface FlawInfo {
  name: string
  control: string
  /** attack cases expected to catch this flaw */
  caughtBy: string[]
  /** for flaws only a fault can reveal (fail-open under an outage): the chaos scenario that catches it */
  caughtByScenario?: string
  /**
   * For flaws no case's verdict can reveal: the gate metric that catches them on any case's traffic
   * (e.g. `gatecrash_evidence_integrity` for a sink that drops or rewrites records after the harness
   * read them, which it graded as read). The self-test's rule (a named case turns from pass into a
   * failing verdict) cannot fire for them, so it counts such a flaw detected when this gate fails in
   * the flaw's variant and holds on the correct target; `caughtBy` still names the cases whose
   * traffic the fast self-test sends.
   */
  caughtByGate?: string
  /**
   * For flaws in a part of the target the harness cannot address through the target contract (e.g.
   * the evidence sink's write side): the target's own spec test that catches them. No case or
   * scenario does, so the self-test cannot sweep them.
   */
  caughtBySpec?: string
}

/**
 * The harness's workforce IdP as a target trusts it: which key signs principals' subject tokens,
 * under which issuer, the claim that carries the tenant, and a loopback port on which the harness
 * serves the JWKS during a run (for an AS that fetches keys by URL). Absent: a fresh key per run,
 * handed to the target through TargetStartOptions.trust.
 */
export interface IdpSettings {
  /** a private JWK file `gatecrash idp init` wrote (mode 0600): the same key every run */
  keyFile?: string
  issuer?: string
  /** the subject-token claim with the principal's tenant (default `tenant`) */
  tenantClaim?: string
  /** serve `/.well-known/jwks.json` on 127.0.0.1 at this port while the run goes */
  jwksPort?: number
}

/** What the command gets to know of the principal whose subject token it prints. */
export interface SubjectTokenPrincipal {
  id: string
  tenant: string
  entitlements: readonly string[]
}

/**
 * Where agents' subject tokens come from (the principal's token an agent exchanges, RFC 8693 §2.1)
 * when the target does not trust the harness's workforce IdP: e.g. a command that asks the user's
 * own IdP. A fresh token per call, never cached: an AS may refuse a subject token's `jti` twice.
 */
export interface SubjectTokenSource {
  /** RFC 8693 §3 `subject_token_type` of the tokens it gives */
  readonly tokenType: string
  /** what it is, for the log and the coverage table (never a secret) */
  readonly describe: string
  /** a fresh subject token for `principal`, for the AS whose issuer is `audience` */
  subjectTokenFor(principal: SubjectTokenPrincipal, audience: string): Promise<string>
}

export interface TargetAdapter<E extends EvidenceSourceSpec = EvidenceSourceSpec> {
  name: string
  flaws: FlawInfo[]
  /** the workforce IdP this target trusts, when it is not a fresh one per run */
  idp?: IdpSettings
  /** principals' subject tokens from elsewhere than the harness's IdP (then `capabilities.harnessIdp` is false) */
  subjectTokens?: SubjectTokenSource
  /** hosts beyond loopback and TLS for every connection the run makes to this target (a profile's) */
  connection?: TargetConnectionOptions
  /**
   * The evidence source, where it is known before the target starts (a profile's): the run opens it
   * first, so a source the deployment sends to (an OTLP receiver) listens before the deployment
   * starts and its environment reaches the deployment (TargetStartOptions.evidenceEnv).
   */
  evidence?: EvidenceSourceSpec
  start(options: TargetStartOptions): Promise<StartedTarget<E>>
}
