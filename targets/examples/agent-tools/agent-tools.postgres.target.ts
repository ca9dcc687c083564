/**
 * The agent-tools example with its audit trail in a PostgreSQL table (README.md "Audit sinks"):
 * every component inserts its decisions into `agent_tools_audit` (created if missing), and
 * gatecrash reads the table by the insert time and id, looking back for rows committed late (the
 * components insert through pools of several connections).
 *
 *   export EXAMPLE_INITIAL_ACCESS_TOKEN=$(openssl rand -hex 24)
 *   export AGENT_TOOLS_PG_URL=postgres://me@127.0.0.1:5432/agent_tools     # a database you own
 *   npx gatecrash run scenarios/sandbox-validation.ts --target targets/examples/agent-tools/agent-tools.postgres.target.ts
 *
 * AGENT_TOOLS_PG_TABLE names another table (a fresh one per run keeps runs apart). Processes only.
 */
import { postgresMapping } from './evidence-mappings.ts'
import { checkTableName, DEFAULT_PG_TABLE } from './lib/audit-sink.ts'
import { agentToolsProfile, requiredEnv } from './profile-parts.ts'

const TABLE = checkTableName(process.env.AGENT_TOOLS_PG_TABLE || DEFAULT_PG_TABLE)

export default agentToolsProfile({
  name: 'agent-tools-postgres',
  description: 'the third-party example: oidc-provider AS, express resource servers, audit trail in a PostgreSQL table',
  sink: 'postgres',
  // the connection string holds a password: gatecrash reads it from the variable, the components get it as theirs
  auditEnv: () => ({ EXAMPLE_AUDIT_PG_URL: requiredEnv('AGENT_TOOLS_PG_URL', 'the connection string of a PostgreSQL database you own (README "Audit sinks")'), EXAMPLE_AUDIT_PG_TABLE: TABLE }),
  evidence: {
    kind: 'postgres',
    connectionEnv: 'AGENT_TOOLS_PG_URL',
    table: TABLE,
    // ids are taken when a row is inserted, not when it commits: the time cursor with its lookback
    cursor: { time: 'recorded_at', id: 'id' },
    lookback: '5s',
    mapping: postgresMapping,
  },
})
