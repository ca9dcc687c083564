/**
 * The redaction layer lives in harness/protocol/redact.ts, where both the engine (which never
 * imports reports/) and the reporters can use it; reporters keep importing it from here.
 */
export { redact, Redactor, REDACTED_SECRET, REDACTED_TOKEN } from '../harness/protocol/redact.ts'
