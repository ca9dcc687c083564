/**
 * A refusal on its way to becoming both an HTTP response and a deny record. Handlers throw it;
 * the endpoint catches it once, answers and writes evidence, so no exit path can skip the record.
 */
export class Refusal extends Error {
  status: number
  error: string
  /** evidence reason, `<area>.<rule>` */
  reason: string
  detail: Record<string, unknown>

  constructor(status: number, error: string, reason: string, description: string, detail: Record<string, unknown> = {}) {
    super(description)
    this.status = status
    this.error = error
    this.reason = reason
    this.detail = detail
  }
}
