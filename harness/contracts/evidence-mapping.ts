/**
 * How a deployment's own audit record (one JSON object) becomes an EvidenceRecord, declared as data
 * in a target profile (docs/evidence-mapping.md). The table of mappable fields lives here, beside
 * the record type, so the profile's types, the validator's "allowed" list and the coercions all read
 * one list; harness/evidence/mapping.ts compiles and applies a spec.
 */
import type { EvidenceRecord } from './evidence.ts'

/**
 * What each kind of field accepts from a raw value (harness/evidence/mapping-coerce.ts):
 * - `text`: a string; a number or boolean is written as text
 * - `time`: an ISO 8601 / RFC 3339 string (no zone: UTC) or epoch seconds, ms, µs or ns (number or numeric string) → ISO in UTC
 * - `status`: an integer 0–599 or its decimal string
 * - `decision`, `principal-type`: one of the record's values, after the rule's value map
 * - `list`: an array of strings, or one string split on spaces and commas (an OAuth `scope` value)
 * - `actors`: a `list`, or an RFC 8693 `act` claim (`{ sub, act: { sub, … } }`, current actor outermost)
 * - `trace`: 32 hex digits, or a whole W3C `traceparent` value → its trace-id, lowercase
 * - `hash`: a base64url SHA-256 (43 chars) or its 64-hex form; a raw token is hashed (and warned about)
 * - `json`: any JSON value (`detail.*`), without credentials in it
 */
export type FieldKind = 'text' | 'time' | 'status' | 'decision' | 'principal-type' | 'list' | 'actors' | 'trace' | 'hash' | 'json'

/** Every field of EvidenceRecord a mapping may fill, by dotted name, with its kind; `detail.<name>` besides. */
export const MAPPABLE_FIELDS = {
  id: 'text',
  ts: 'time',
  component: 'text',
  decision: 'decision',
  reason: 'text',
  status: 'status',
  error: 'text',
  'principal.sub': 'text',
  'principal.type': 'principal-type',
  client_id: 'text',
  actors: 'actors',
  'key.jkt': 'text',
  'resource.aud': 'text',
  'resource.method': 'text',
  'resource.path': 'text',
  'resource.tool': 'text',
  'resource.tenant': 'text',
  'scope.required': 'list',
  'scope.held': 'list',
  'policy.id': 'text',
  'policy.rule': 'text',
  'correlation.trace_id': 'trace',
  'correlation.request_id': 'text',
  'correlation.token_jti': 'text',
  'correlation.token_hash': 'hash',
  'correlation.parent_token_hash': 'hash',
} as const satisfies Record<string, FieldKind>

/** `detail.<name>`: the record's open part; names of letters, digits and `_` */
export const DETAIL_FIELD = /^detail\.[A-Za-z0-9_]+$/

/**
 * Fields every mapped record must end up with. `reason` and `principal.type` are required too, but
 * have a fallback the schema itself implies: an allow's reason is `ok`, and a record without a
 * principal is `anonymous`.
 */
export const REQUIRED_FIELDS = ['ts', 'decision', 'status', 'component'] as const

export type MappableField = keyof typeof MAPPABLE_FIELDS | `detail.${string}`

export type MappingScalar = string | number | boolean | null
/** a constant or default: a scalar, or a list for `actors` and scopes */
export type MappingConstant = MappingScalar | readonly string[]

/**
 * One target field's rule:
 * - a dotted path into the raw record (`'http.status'`; a key that itself holds dots, as OpenTelemetry
 *   attributes do, is found too);
 * - `{ from, map?, default? }`: the path (or a list of paths, the first present wins), a value map
 *   for enums and codes (keyed by the raw value as text; a raw value the map does not name passes
 *   unchanged; a map value of null means "no value"), and a default when the value is absent or empty;
 * - `{ const }`: the same value in every record.
 */
export type MappingRule =
  | string
  | { from: string | readonly string[]; map?: Readonly<Record<string, MappingScalar>>; default?: MappingConstant }
  | { const: MappingConstant }

export type MappingFields = { readonly [K in MappableField]?: MappingRule }

type Mappable = Omit<EvidenceRecord, 'v' | 'prev' | 'hash'>
/** What the escape hatch may return: any part of a record; null on a field means "no value" */
export type MappedPartial = {
  [K in keyof Mappable]?: NonNullable<Mappable[K]> extends readonly unknown[] ? Mappable[K] | null
    : NonNullable<Mappable[K]> extends object ? { [P in keyof NonNullable<Mappable[K]>]?: NonNullable<Mappable[K]>[P] | null } | null
      : Mappable[K] | null
}

export interface EvidenceMappingSpec {
  fields: MappingFields
  /**
   * Escape hatch for what rules cannot say: gets the raw record, returns fields merged over what the
   * rules mapped (coerced and checked the same way), or null to skip the line on purpose.
   */
  map?: (raw: Record<string, unknown>) => MappedPartial | null
}
