/**
 * Evidence source `otlp-logs`: the deployment exports its audit log records over OTLP/HTTP to a
 * receiver gatecrash runs on loopback for the run (otlp-receiver.ts), and the run reads what the
 * receiver acknowledged (otlp-log.ts) through the target's mapping (docs/evidence-sources/otlp-logs.md).
 *
 * The cursor is the receiver's sequence number and each record's id is `otlp:<seq>`, so every read
 * from a cursor gives the same records under the same ids. The log lives with this object: a cursor
 * from another process names nothing here, and is refused rather than read as "from the start".
 * OTLP carries no hash chain: the source is `unchained`, with no heads().
 *
 * The join uses the log record's own trace id: when the mapping has no rule for
 * `correlation.trace_id`, a record gets the trace id its LogRecord carries.
 */
import { randomBytes } from 'node:crypto'
import { EvidenceMappingInvalid, EvidenceUnavailable } from '../contracts/errors.ts'
import type { EvidencePage, EvidenceSource } from '../contracts/evidence-source.ts'
import type { OtlpLogsSourceSpec } from '../contracts/target.ts'
import { compileMapping } from './mapping.ts'
import { OtlpLog } from './otlp-log.ts'
import { OtlpReceiver, SECRET_HEADER } from './otlp-receiver.ts'

export interface OtlpLogsSourceOptions {
  /** the file that declared the source (a target profile), for messages */
  declaredIn?: string
  /** records per page (default 5,000) */
  pageSize?: number
  /** the largest request body the receiver takes, after inflating (default 16 MiB) */
  maxBodyBytes?: number
}

export interface OtlpLogsSource extends EvidenceSource {
  /** the receiver itself: its port, what it answered (stats), and the test hooks stop/start/refuseFor */
  readonly receiver: OtlpReceiver
}

const PAGE = 5000
/** per pages() call, as the other sources: a sender faster than the reader is caught up with next call */
const MAX_PAGES = 10_000

export function otlpLogsSource(spec: OtlpLogsSourceSpec, options: OtlpLogsSourceOptions = {}): OtlpLogsSource {
  const declaredIn = options.declaredIn ?? 'the target profile'
  if (spec.port !== undefined && !(Number.isInteger(spec.port) && spec.port >= 1 && spec.port <= 65535)) {
    throw new EvidenceMappingInvalid(`${declaredIn}: \`evidence.port\` is ${JSON.stringify(spec.port)}`, { file: declaredIn, key: 'evidence.port', hint: 'allowed: a port 1–65535 for the loopback receiver, or none for a free one' })
  }
  const secret = secretOf(spec, declaredIn)
  const mapping = compileMapping(spec.mapping, { file: declaredIn, key: 'evidence.mapping' })
  const ownTraceId = !Object.hasOwn(spec.mapping.fields, 'correlation.trace_id')
  const log = new OtlpLog({ mapping, ownTraceId })
  const receiver = new OtlpReceiver({ port: spec.port, secret, log, maxBodyBytes: options.maxBodyBytes })
  const pageSize = options.pageSize ?? PAGE
  let closed = false

  const cursorOf = (after: string): number => {
    const seq = /^\d{1,15}$/.test(after) ? Number(after) : NaN
    if (!(seq <= log.last)) {
      throw new EvidenceUnavailable(`OTLP receiver: cursor ${JSON.stringify(after.slice(0, 40))} is not one this receiver gave (its log holds ${log.last} entries)`, {
        hint: "the receiver's log lives with the run: a cursor from another run or process names nothing here; read from null",
      })
    }
    return seq
  }

  return {
    kind: 'otlp-logs',
    integrity: 'unchained',
    receiver,
    async *pages(after: string | null = null): AsyncGenerator<EvidencePage> {
      let seq = after === null ? 0 : cursorOf(after)
      if (!closed) await receiver.start()
      for (let n = 0; n < MAX_PAGES; n++) {
        const page = log.page(seq, pageSize)
        seq = page.end
        yield { records: page.records, cursor: String(seq), problems: page.problems }
        if (!page.more) return
      }
    },
    async exportEnv(): Promise<Record<string, string>> {
      if (closed) throw new EvidenceUnavailable('OTLP receiver: exportEnv() after close()', { hint: 'open the evidence source again for another run' })
      await receiver.start()
      return {
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: receiver.url,
        // the SDK reads W3C-baggage-style pairs, values percent-decoded
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: `${SECRET_HEADER}=${encodeURIComponent(secret)}`,
      }
    },
    async close() {
      closed = true
      await receiver.stop()
    },
  }
}

/** The secret every export must carry: from `secretEnv` when given, else fresh for this source. */
function secretOf(spec: OtlpLogsSourceSpec, declaredIn: string): string {
  if (spec.secretEnv === undefined) return randomBytes(32).toString('base64url')
  const value = process.env[spec.secretEnv]
  if (value === undefined || value === '') {
    throw new EvidenceMappingInvalid(`${declaredIn}: \`evidence.secretEnv\` names ${spec.secretEnv}, which is not set`, {
      file: declaredIn,
      key: 'evidence.secretEnv',
      hint: `set ${spec.secretEnv} to the secret the deployment's exporter sends as ${SECRET_HEADER}, or leave secretEnv out when gatecrash starts the deployment (a fresh secret per run)`,
    })
  }
  return value
}
