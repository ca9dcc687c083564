import { randomBytes, randomUUID } from 'node:crypto'

/** A fresh W3C trace context per attempt: the trace id is the correlation key into evidence. */
export function newTraceContext(): { traceId: string; traceparent: string; requestId: string } {
  const buf = randomBytes(24)
  const traceId = buf.subarray(0, 16).toString('hex')
  const spanId = buf.subarray(16, 24).toString('hex')
  return { traceId, traceparent: `00-${traceId}-${spanId}-01`, requestId: randomUUID() }
}
