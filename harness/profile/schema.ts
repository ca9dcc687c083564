/**
 * The strict check of a target profile (types.ts): unknown keys, wrong types and missing values
 * are ProfileInvalid (exit 104) naming the file, the dotted key and what is allowed, before
 * anything is started or contacted.
 */
import { arr, bool, child, duration, fail, json, num, obj, oneOfChecks, record, str, tagged, type Check, type Where } from '../config/schema-check.ts'
import type { ToolProfile } from './types.ts'

const HTTP_URL = { pattern: /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, describe: 'an absolute http(s) URL without query or fragment' }
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const COLUMN = { pattern: /^[A-Za-z_]\w*$/, describe: 'a column name (letters, digits, _)' }
const envSecret = obj({ env: { check: str({ pattern: ENV_NAME, describe: 'the name of an environment variable (letters, digits, _)' }), required: true } })

const tool = obj(
  {
    name: { check: str({ pattern: /^[\w.:-]+$/, describe: 'an operation name such as tickets.read' }), required: true },
    method: { check: str({ oneOf: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] }), required: true },
    path: { check: str({ pattern: /^\/\S*$/, describe: "a path template starting with '/', with {tenant} and {id} placeholders" }), required: true },
    scope: { check: str({ pattern: /^[\x21\x23-\x5B\x5D-\x7E]+$/, describe: 'one OAuth scope token (RFC 6749 §3.3)' }), required: true },
    writes: bool(),
    limit: obj({ field: { check: str(), required: true }, max: { check: num(), required: true } }),
    preflight: obj({
      id: str({ nonEmpty: true, describe: "the {id} of the tool's path for this call, e.g. 'preflight-1'" }),
      body: json({ object: true, describe: 'a JSON object: the request body of a call your deployment treats as safe' }),
    }),
  },
  (t, at) => {
    if (t.preflight !== undefined) checkFixture(t as unknown as ToolProfile, child(at, 'preflight'))
  },
)

/**
 * A fixture must be a call the deployment can accept: on a write tool (reads are always called),
 * with an `{id}` exactly when the path has one, and within the tool's limit (else the preflight
 * would report a refusal the fixture itself caused).
 */
function checkFixture(t: ToolProfile, at: Where): void {
  const f = t.preflight!
  if (t.writes !== true) fail(at, 'is on a tool that does not write', "`preflight` on a tool with `writes: true` only (target check calls every read tool, with a run's arguments)")
  const hasId = t.path.includes('{id}')
  if (hasId && f.id === undefined) fail(child(at, 'id'), 'is missing', `the {id} this call uses: the tool's path ${t.path} has the placeholder`)
  if (!hasId && f.id !== undefined) fail(child(at, 'id'), `is given, but the tool's path ${t.path} has no {id}`, 'no `id` (or an {id} placeholder in `path`)')
  const value = t.limit ? f.body?.[t.limit.field] : undefined
  if (t.limit && typeof value === 'number' && value > t.limit.max) {
    fail(child(child(at, 'body'), t.limit.field), `is ${value}, above the tool's limit`, `a number ≤ ${t.limit.max} (\`limit.max\`): the deployment would refuse the call`)
  }
}

/** An internal or management endpoint (contracts/target.ts InternalPath): a fixed path, no placeholders. */
const internalPath = obj({
  name: { check: str({ nonEmpty: true, describe: 'what the endpoint is, e.g. ledger read' }), required: true },
  method: { check: str({ oneOf: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] }), required: true },
  path: { check: str({ pattern: /^\/[^\s?#{}]*$/, describe: "an absolute path starting with '/', without query, fragment or placeholders, e.g. /admin/ledger" }), required: true },
  role: { check: str({ oneOf: ['admin', 'peer'] }), required: true },
  body: json({ object: true, describe: 'a JSON object: a request body that changes nothing if the endpoint were served' }),
})

const resource = obj(
  {
    id: { check: str({ pattern: /^[\w-]+$/, describe: 'an id of letters, digits, _ and -' }), required: true },
    audience: str({ pattern: /^\S+:\S+$/, describe: 'an absolute URI (RFC 8707 resource indicator)' }),
    origin: str(HTTP_URL),
    metadata: str({ ...HTTP_URL, describe: 'the URL of its RFC 9728 protected-resource metadata, e.g. http://127.0.0.1:8101/.well-known/oauth-protected-resource' }),
    tools: { check: arr(tool, { describe: 'the tools agents call on this resource server (at least one)' }), required: true },
    internalPaths: arr(internalPath, { describe: 'the endpoints of this resource server that are not for agents' }),
  },
  (r, at) => {
    const stated = r.audience !== undefined || r.origin !== undefined
    if (r.metadata !== undefined && stated) fail(at, 'names `metadata` and `audience`/`origin`', 'either `audience` and `origin`, or `metadata` (RFC 9728), which supplies both')
    if (r.metadata === undefined && (r.audience === undefined || r.origin === undefined)) {
      fail(child(at, r.audience === undefined ? 'audience' : 'origin'), 'is missing', 'either `audience` and `origin`, or `metadata` (the URL of its RFC 9728 protected-resource metadata)')
    }
  },
)

const tenancy = tagged('via', {
  'subject-claim': obj({ via: { check: str(), required: true }, claim: str({ pattern: /^[\w.-]+$/, describe: 'a JWT claim name' }) }),
  'registration-member': obj({ via: { check: str(), required: true }, member: { check: str({ pattern: /^[\w.-]+$/, describe: 'a client metadata member name' }), required: true } }),
  'initial-access-token': obj({ via: { check: str(), required: true }, perTenant: { check: record(/^[\w-]+$/, 'tenant ids (t_1, t_2, …)', envSecret), required: true } }),
})

const metadataValue: Check = oneOfChecks('a string, number, boolean or list of strings', str(), num(), bool(), arr(str()))

const registration = obj({
  initialAccessToken: envSecret,
  metadata: record(/^[a-z][\w]*$/, 'client metadata member names (RFC 7591 §2: lower case, _)', metadataValue),
  tenancy,
  parentMember: str({ pattern: /^[\w.-]+$/, describe: 'a client metadata member name' }),
  cleanup: str({ oneOf: ['delete', 'keep'] }),
})

const capabilities = obj({
  dpop: bool(),
  tokenExchange: bool(),
  clientCredentials: bool(),
  registration: bool(),
  revocation: bool(),
  clientDeletion: bool(),
  adminHooks: bool(),
  replicas: num({ min: 1, max: 64, int: true }),
})

const evidenceSource: Check = (v, at) => evidenceSourceVariants(v, at)
const evidenceSourceVariants = tagged('kind', {
  combined: obj({ kind: { check: str(), required: true }, sources: { check: arr(evidenceSource, { describe: 'the evidence sources read as one trail (at least one)' }), required: true } }),
  'http-cursor': obj({ kind: { check: str(), required: true }, url: { check: str(HTTP_URL), required: true } }),
  jsonl: obj({
    kind: { check: str(), required: true },
    file: { check: str({ describe: 'the path of the JSON lines file the deployment writes (relative to the profile)' }), required: true },
    // the mapping's own keys are checked by evidence/mapping-check.ts (load.ts), which knows every target field
    mapping: { check: (() => {}) as Check, required: true },
    waitForFile: duration(),
  }),
  postgres: obj(
    {
      kind: { check: str(), required: true },
      connectionEnv: { check: str({ pattern: ENV_NAME, describe: 'the name of the environment variable holding the connection string (letters, digits, _)' }), required: true },
      table: str({ pattern: /^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?$/, describe: 'a table name, optionally schema-qualified (audit.events)' }),
      query: str({ pattern: /^\s*(select|with)\s/i, describe: 'a SELECT (or WITH … SELECT) whose rows are the records' }),
      cursor: { check: oneOfChecks('a column name, or { time, id }: a time column and a unique tie-breaker', str(COLUMN), obj({ time: { check: str(COLUMN), required: true }, id: { check: str(COLUMN), required: true } })), required: true },
      lookback: duration(),
      pageSize: num({ min: 1, max: 100_000, int: true }),
      mapping: { check: (() => {}) as Check, required: true },
    },
    (v, at) => {
      if ((v.table === undefined) === (v.query === undefined)) fail(at, v.table === undefined ? 'has neither `table` nor `query`' : 'has both `table` and `query`', 'exactly one: `table` (a table name) or `query` (a SELECT)')
    },
  ),
  'otlp-logs': obj({
    kind: { check: str(), required: true },
    port: num({ min: 1, max: 65535, int: true }),
    secretEnv: str({ pattern: ENV_NAME, describe: 'the name of the environment variable holding the shared secret (letters, digits, _)' }),
    mapping: { check: (() => {}) as Check, required: true },
  }),
  'http-log-api': obj(
    {
      kind: { check: str(), required: true },
      url: { check: str({ pattern: /^https?:\/\/\S+$/, describe: 'an absolute http(s) URL of the first page; {limit} is replaced by the page size' }), required: true },
      cursorParam: str({ pattern: /^[\w.-]+$/, describe: 'a query parameter name' }),
      next: { check: oneOfChecks("'link' (an RFC 8288 Link header with rel=\"next\") or { body: '<dotted path of the next cursor>' }", str({ oneOf: ['link'] }), obj({ body: { check: str({ nonEmpty: true, describe: 'the dotted path of the next cursor in the body' }), required: true } })), required: true },
      records: str({ describe: "the dotted path of the records array in the body ('' : the body is the array)" }),
      auth: obj({ header: { check: str({ pattern: /^[\w-]+$/, describe: 'an HTTP header name' }), required: true }, env: { check: str({ pattern: ENV_NAME, describe: 'the name of an environment variable' }), required: true }, prefix: str() }),
      pageSize: num({ min: 1, max: 100_000, int: true }),
      mapping: { check: (() => {}) as Check, required: true },
    },
    (v, at) => {
      if (v.next === 'link' && v.cursorParam !== undefined) fail(child(at, 'cursorParam'), "is given with next: 'link', which takes the whole next URL from the Link header", "no `cursorParam` (or next: { body: '<path of the cursor>' })")
      if (typeof v.next === 'object' && (v.records ?? '') === '') fail(child(at, 'records'), 'is absent, so the body is read as the array of records, which cannot also hold `next.body`', "the dotted path of the records array in the body, e.g. 'data'")
      // the API's own id is what keeps a record served twice from counting twice (evidence/http-log-api-source.ts)
      const mapping = v.mapping as { fields?: Record<string, unknown>; map?: unknown } | undefined
      if (mapping?.fields?.id === undefined && mapping?.map === undefined) fail(child(child(child(at, 'mapping'), 'fields'), 'id'), 'is missing', "the API's own event id, e.g. id: 'uuid' (Okta) or id: '_document_id' (GitHub)")
    },
  ),
})

/** An object check, plus: exactly one of `keys` is present. */
function exactlyOne(check: Check, keys: readonly string[]): Check {
  return (v, at) => {
    check(v, at)
    const present = keys.filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    if (present.length !== 1) fail(at, present.length === 0 ? `names none of ${keys.join(', ')}` : `names both ${present.join(' and ')}`, `exactly one of ${keys.join(', ')}`)
  }
}

const PLACEHOLDERS = 'text with {client_id}, {kid}, {ttl_s}, {trace_id} placeholders'
const adminHook: Check = oneOfChecks(
  "{ command: ['node', 'hooks/rotate.ts'] } or { http: { method, url, headers?, body? } }",
  obj({ command: { check: arr(str({ describe: PLACEHOLDERS }), { describe: 'a command and its arguments (no shell)' }), required: true } }),
  obj({
    http: {
      check: obj({
        method: { check: str({ oneOf: ['GET', 'POST', 'PUT', 'DELETE'] }), required: true },
        url: { check: str({ describe: `an http(s) URL, ${PLACEHOLDERS}` }), required: true },
        headers: record(/^[A-Za-z0-9-]+$/, 'header names', oneOfChecks('a string or { env: NAME } for a secret', str(), envSecret)),
        body: record(/^[\w.-]+$/, 'JSON member names', str({ describe: PLACEHOLDERS })),
      }),
      required: true,
    },
  }),
)

const admin = obj({ rotateSigningKey: adminHook, retireSigningKey: adminHook, currentSigningKid: adminHook, setTokenTtl: adminHook, sideEffectCount: adminHook })

export const profileSchema: Check = obj({
  name: { check: str({ pattern: /^[\w.-]+$/, describe: 'a name of letters, digits, _ . -' }), required: true },
  description: str(),
  issuer: { check: str(HTTP_URL), required: true },
  capabilities,
  resources: { check: arr(resource, { describe: 'the resource servers (at least one; agents call the first)' }), required: true },
  identities: { check: exactlyOne(obj({ registration, clients: obj({ file: { check: str({ describe: 'the path of a JSON file of pre-registered clients (relative to the profile)' }), required: true } }) }), ['registration', 'clients']), required: true },
  principals: exactlyOne(
    obj({
      idp: obj({
        keyFile: str({ describe: 'the path of the key `gatecrash idp init` wrote' }),
        jwksPort: num({ min: 1024, max: 65535, int: true }),
        issuer: str({ pattern: /^\S+:\S+$/, describe: 'an absolute URI' }),
      }),
      command: obj({
        run: { check: arr(str({ nonEmpty: true, describe: 'text with {principal}, {tenant}, {scope}, {audience} placeholders' }), { describe: "the command and its arguments (no shell), e.g. ['node', 'idp/print-token.ts', '{principal}']" }), required: true },
        tokenType: str({ pattern: /^urn:ietf:params:oauth:token-type:[\w-]+$/, describe: 'an RFC 8693 §3 token type URI, e.g. urn:ietf:params:oauth:token-type:id_token (default: …:jwt)' }),
        timeout: duration({ maxMs: 60_000 }),
        concurrency: num({ min: 1, max: 64, int: true }),
      }),
    }),
    ['idp', 'command'],
  ),
  evidence: { check: obj({ source: { check: evidenceSource, required: true } }), required: true },
  admin,
  // checked by targets/profile/deployment/spec-check.ts when the adapter is made, before anything starts
  deployment: (() => {}) as Check,
  policy: obj({ offboardingPropagationS: num({ min: 0, max: 86_400 }), maxTokenLifetimeS: num({ min: 1, max: 30 * 86_400, int: true }), dpopProofWindowS: num({ min: 1, max: 3_600 }) }),
  // the acknowledgement sentence itself is judged by protocol/host-policy.ts (ERR_TARGET_UNSAFE)
  hosts: arr(obj({ host: { check: str(), required: true }, acknowledge: { check: str(), required: true }, network: str({ oneOf: ['private', 'public'] }) }), { describe: 'hosts beyond loopback, each { host, acknowledge, network? }' }),
  tls: obj({ ca: { check: str({ describe: 'the path of a PEM file with the CA certificate(s) (relative to the profile)' }), required: true } }),
})
