/**
 * Toxic definitions in Toxiproxy's JSON form, for the subset gatecrash's link faults need, with
 * Toxiproxy's defaults and error answers (Shopify/toxiproxy README "Toxics" and api.go):
 *
 *   { "name": "latency_downstream", "type": "latency", "stream": "downstream", "toxicity": 1,
 *     "attributes": { "latency": 800, "jitter": 50 } }
 *
 * - `name` defaults to `<type>_<stream>`, `stream` to `downstream`, `toxicity` to 1.
 * - attributes are whole milliseconds (KB/s for `bandwidth.rate`); missing ones are 0, unknown
 *   ones are ignored, as Go's JSON decoding into the toxic's struct does.
 * - Stricter than Toxiproxy (its int64 fields take anything): negative values and values above
 *   2^31-1 are refused with 400, because Node timers cannot wait that long.
 */

import type { Toxic, ToxicStream, ToxicType } from '../toxiproxy-wire.ts'

/** Toxiproxy's error body: `{ "error": "proxy not found", "status": 404 }` */
export class ApiError extends Error {
  readonly status: number
  constructor(message: string, status: number) {
    super(message)
    this.status = status
  }
}

export const badBody = (why: string): ApiError => new ApiError(`bad request body: ${why}`, 400)
export const missingField = (field: string): ApiError => new ApiError(`missing required field: ${field}`, 400)
export const proxyNotFound = (): ApiError => new ApiError('proxy not found', 404)
export const proxyExists = (): ApiError => new ApiError('proxy already exists', 409)
export const toxicNotFound = (): ApiError => new ApiError('toxic not found', 404)
const toxicExists = (): ApiError => new ApiError('toxic already exists', 409)
const invalidStream = (): ApiError => new ApiError('stream was invalid, can be either upstream or downstream', 400)
const invalidType = (): ApiError => new ApiError('invalid toxic type', 400)

/** attribute names per type, in Toxiproxy's field order (its JSON output lists every field) */
export const TOXIC_ATTRIBUTES: Readonly<Record<ToxicType, readonly string[]>> = {
  latency: ['latency', 'jitter'],
  bandwidth: ['rate'],
  slow_close: ['delay'],
  timeout: ['timeout'],
  reset_peer: ['timeout'],
}

/** the longest a Node timer can wait */
const MAX_ATTRIBUTE = 2 ** 31 - 1

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isToxicType(t: unknown): t is ToxicType {
  return typeof t === 'string' && Object.hasOwn(TOXIC_ATTRIBUTES, t)
}

function parseAttributes(type: ToxicType, raw: unknown, base: Record<string, number>): Record<string, number> {
  if (raw !== undefined && raw !== null && !isObject(raw)) throw badBody('attributes must be an object')
  const out: Record<string, number> = {}
  for (const key of TOXIC_ATTRIBUTES[type]) {
    const v = raw?.[key] ?? base[key] ?? 0
    if (typeof v !== 'number' || !Number.isInteger(v)) throw badBody(`attribute ${key} of ${type} must be an integer`)
    if (v < 0 || v > MAX_ATTRIBUTE) throw badBody(`attribute ${key} of ${type} must be between 0 and ${MAX_ATTRIBUTE}`)
    out[key] = v
  }
  return out
}

function parseToxicity(raw: unknown, fallback: number): number {
  if (raw === undefined || raw === null) return fallback
  if (typeof raw !== 'number' || !Number.isFinite(raw)) throw badBody('toxicity must be a number')
  return raw
}

/** POST /proxies/{proxy}/toxics; checks run in Toxiproxy's order (body, stream, type, name clash, attributes) */
export function parseNewToxic(body: unknown, nameTaken: (name: string) => boolean): Toxic {
  if (!isObject(body)) throw badBody('expected a JSON object')
  const stream = body.stream === undefined || body.stream === '' ? 'downstream' : body.stream
  if (typeof stream !== 'string') throw badBody('stream must be a string')
  const direction = stream.toLowerCase()
  if (direction !== 'upstream' && direction !== 'downstream') throw invalidStream()
  if (body.name !== undefined && typeof body.name !== 'string') throw badBody('name must be a string')
  if (body.type !== undefined && typeof body.type !== 'string') throw badBody('type must be a string')
  const name = body.name === undefined || body.name === '' ? `${String(body.type ?? '')}_${stream}` : body.name
  if (!isToxicType(body.type)) throw invalidType()
  if (nameTaken(name)) throw toxicExists()
  return {
    attributes: parseAttributes(body.type, body.attributes, {}),
    name,
    type: body.type,
    stream: direction,
    toxicity: parseToxicity(body.toxicity, 1),
  }
}

/** POST|PATCH /proxies/{proxy}/toxics/{toxic}: `attributes` merge over the current ones, `toxicity` optional */
export function parseToxicUpdate(current: Toxic, body: unknown): Toxic {
  if (!isObject(body)) throw badBody('expected a JSON object')
  return {
    ...current,
    attributes: parseAttributes(current.type, body.attributes, current.attributes),
    toxicity: parseToxicity(body.toxicity, current.toxicity),
  }
}
