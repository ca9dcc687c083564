/**
 * The example's audit records → gatecrash's evidence record, one mapping per audit sink (README.md
 * "Audit sinks"). The record is the same in every form, so each mapping must give the same
 * evidence for it: only where a field lives differs (a JSON line's key, a column, an OTLP log
 * record's attribute). test/spec/examples/agent-tools/audit-mappings.test.ts holds them to that.
 */

/** `outcome` → decision */
const DECISION = { allowed: 'allow', denied: 'deny' } as const
/** `user_kind` → principal.type; no trusted credential names nobody */
const PRINCIPAL_TYPE = { human: 'user', agent: 'agent' } as const

/** A JSON line (and the log API's event) in its own field names (README.md "Audit records"). */
export const jsonlMapping = {
  fields: {
    ts: 'time',
    component: 'service',
    decision: { from: 'outcome', map: DECISION },
    reason: 'why',
    status: 'http_status',
    error: 'oauth_error',
    'principal.sub': 'user',
    'principal.type': { from: 'user_kind', map: PRINCIPAL_TYPE, default: 'anonymous' },
    client_id: 'client',
    actors: 'delegation',
    'key.jkt': 'key_thumbprint',
    'resource.aud': 'audience',
    'resource.method': 'method',
    'resource.path': 'path',
    'resource.tool': 'tool',
    'resource.tenant': 'tenant',
    'scope.required': 'scopes_needed',
    'scope.held': 'scopes_held',
    'correlation.trace_id': 'trace',
    'correlation.request_id': 'request_id',
    'correlation.token_jti': 'token_id',
    'correlation.token_hash': 'token_sha256',
    'correlation.parent_token_hash': 'subject_token_sha256',
    'detail.facts': 'facts',
  },
} as const

/** The log API serves the JSON line with its own `event_id`: the evidence record keeps it, so a re-read is the same record. */
export const httpLogApiMapping = { fields: { ...jsonlMapping.fields, id: 'event_id' } } as const

/** A row of the `agent_tools_audit` table (lib/audit-postgres.ts): SQL spells `time`, `user`, `client`, `trace` differently. */
export const postgresMapping = {
  fields: {
    ...jsonlMapping.fields,
    ts: 'occurred_at',
    'principal.sub': 'user_id',
    client_id: 'client_id',
    'correlation.trace_id': 'trace_id',
  },
} as const

/**
 * An OTLP log record as the receiver hands it over (`time`, `trace_id`, `attributes`, `resource`, …;
 * lib/audit-otlp.ts writes it): semantic-convention attributes where OpenTelemetry has one, the
 * application's own under `agent_tools.`, the trace id the log record's own.
 */
export const otlpMapping = {
  fields: {
    ts: 'time',
    component: 'resource.service.name',
    decision: { from: 'attributes.agent_tools.outcome', map: DECISION },
    reason: 'attributes.agent_tools.why',
    status: 'attributes.http.response.status_code',
    error: 'attributes.agent_tools.oauth_error',
    'principal.sub': 'attributes.enduser.id',
    'principal.type': { from: 'attributes.agent_tools.user_kind', map: PRINCIPAL_TYPE, default: 'anonymous' },
    client_id: 'attributes.agent_tools.client_id',
    actors: 'attributes.agent_tools.delegation',
    'key.jkt': 'attributes.agent_tools.key_thumbprint',
    'resource.aud': 'attributes.agent_tools.audience',
    'resource.method': 'attributes.http.request.method',
    'resource.path': 'attributes.url.path',
    'resource.tool': 'attributes.agent_tools.tool',
    'resource.tenant': 'attributes.agent_tools.tenant',
    'scope.required': 'attributes.agent_tools.scopes_needed',
    'scope.held': 'attributes.agent_tools.scopes_held',
    'correlation.trace_id': 'trace_id',
    'correlation.request_id': 'attributes.agent_tools.request_id',
    'correlation.token_jti': 'attributes.agent_tools.token_id',
    'correlation.token_hash': 'attributes.agent_tools.token_sha256',
    'correlation.parent_token_hash': 'attributes.agent_tools.subject_token_sha256',
    'detail.facts': 'attributes.agent_tools.facts',
  },
} as const
