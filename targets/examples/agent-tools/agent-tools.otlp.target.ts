/**
 * The agent-tools example exporting its audit trail as OpenTelemetry log records over OTLP/HTTP
 * (README.md "Audit sinks"): gatecrash runs an OTLP receiver on loopback for the run and tells
 * every component where it is and the secret header to send (OTEL_EXPORTER_OTLP_LOGS_ENDPOINT and
 * _HEADERS in their environment); the components' OpenTelemetry SDK exports a log record per
 * decision.
 *
 *   export EXAMPLE_INITIAL_ACCESS_TOKEN=$(openssl rand -hex 24)
 *   npx gatecrash run scenarios/sandbox-validation.ts --target targets/examples/agent-tools/agent-tools.otlp.target.ts
 *
 * AGENT_TOOLS_OTLP_PROTOCOL=http/json exports OTLP/JSON instead of protobuf, AGENT_TOOLS_OTLP_COMPRESSION=none
 * without gzip. Processes only.
 */
import { otlpMapping } from './evidence-mappings.ts'
import { agentToolsProfile } from './profile-parts.ts'

const PROTOCOL = process.env.AGENT_TOOLS_OTLP_PROTOCOL || 'http/protobuf'
if (PROTOCOL !== 'http/protobuf' && PROTOCOL !== 'http/json') throw new Error(`AGENT_TOOLS_OTLP_PROTOCOL is '${PROTOCOL}': 'http/protobuf' (default) or 'http/json'`)
/** the exporters' own setting: gzip (default, as Collectors usually receive) or none */
const COMPRESSION = process.env.AGENT_TOOLS_OTLP_COMPRESSION || 'gzip'
if (COMPRESSION !== 'gzip' && COMPRESSION !== 'none') throw new Error(`AGENT_TOOLS_OTLP_COMPRESSION is '${COMPRESSION}': 'gzip' (default) or 'none'`)

export default agentToolsProfile({
  name: 'agent-tools-otlp',
  description: 'the third-party example: oidc-provider AS, express resource servers, audit trail as OTLP log records',
  sink: 'otlp',
  auditEnv: () => ({ OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: PROTOCOL, OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: COMPRESSION }),
  // no port: gatecrash picks a free one and hands the endpoint to the components it starts
  evidence: { kind: 'otlp-logs', mapping: otlpMapping },
})
