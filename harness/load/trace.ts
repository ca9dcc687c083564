import { randomFillSync } from 'node:crypto'

// Every id of an attempt (trace id, span id, request id: 40 bytes) comes from one pooled CSPRNG
// buffer refilled with randomFillSync (as random-id.ts and randomUUID do): one trip into OpenSSL
// per ~400 attempts, one hex conversion per attempt, and no randomUUID call (its own pool and
// formatting) on top.
const PER_ATTEMPT = 40
const POOL_SIZE = PER_ATTEMPT * 410
const pool = Buffer.allocUnsafe(POOL_SIZE)
let offset = POOL_SIZE
const ZERO_TRACE_ID = '0'.repeat(32)
const ZERO_SPAN_ID = '0'.repeat(16)

/** A fresh W3C trace context per attempt: the trace id is the correlation key into evidence. */
export function newTraceContext(): { traceId: string; traceparent: string; requestId: string } {
  if (offset + PER_ATTEMPT > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const at = offset
  offset += PER_ATTEMPT
  // RFC 9562 §5.4: bytes 24–39 become a version 4 UUID (version and variant bits set in place)
  pool[at + 30] = (pool[at + 30] & 0x0f) | 0x40
  pool[at + 32] = (pool[at + 32] & 0x3f) | 0x80
  // one hex conversion for all three ids; the slices share its characters
  const hex = pool.toString('hex', at, at + PER_ATTEMPT)
  const traceId = hex.slice(0, 32)
  const spanId = hex.slice(32, 48)
  // W3C Trace Context §3.2.2.3: all-zero ids are invalid (odds 2^-64 and 2^-128; draw again)
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return newTraceContext()
  const requestId = `${hex.slice(48, 56)}-${hex.slice(56, 60)}-${hex.slice(60, 64)}-${hex.slice(64, 68)}-${hex.slice(68, 80)}`
  return { traceId, traceparent: `00-${traceId}-${spanId}-01`, requestId }
}
