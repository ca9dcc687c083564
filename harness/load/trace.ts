import { randomFillSync, randomUUID } from 'node:crypto'

// Trace ids come from a pooled CSPRNG buffer refilled with randomFillSync (as random-id.ts and
// randomUUID do): one trip into OpenSSL per ~680 attempts instead of one randomBytes per attempt.
const POOL_SIZE = 24 * 682
const pool = Buffer.allocUnsafe(POOL_SIZE)
let offset = POOL_SIZE
const ZERO_TRACE_ID = '0'.repeat(32)
const ZERO_SPAN_ID = '0'.repeat(16)

/** A fresh W3C trace context per attempt: the trace id is the correlation key into evidence. */
export function newTraceContext(): { traceId: string; traceparent: string; requestId: string } {
  if (offset + 24 > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const traceId = pool.toString('hex', offset, offset + 16)
  const spanId = pool.toString('hex', offset + 16, offset + 24)
  offset += 24
  // W3C Trace Context §3.2.2.3: all-zero ids are invalid (odds 2^-64 and 2^-128; draw again)
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return newTraceContext()
  return { traceId, traceparent: `00-${traceId}-${spanId}-01`, requestId: randomUUID() }
}
