/**
 * The target profile of the agent-tools example (README.md beside it): how gatecrash reaches a
 * deployment it did not write. gatecrash starts the deployment itself (the `deployment` section:
 * three processes, stopped after the run) and serves the workforce IdP's JWKS for its AS:
 *
 *   export EXAMPLE_INITIAL_ACCESS_TOKEN=$(openssl rand -hex 24)
 *   npx gatecrash target check targets/examples/agent-tools/agent-tools.target.ts
 *   npx gatecrash run scenarios/sandbox-validation.ts --target targets/examples/agent-tools/agent-tools.target.ts
 *
 * This profile reads the audit trail the components append to JSON-lines files; the
 * agent-tools.{postgres,otlp,http-log-api}.target.ts profiles run the same deployment with its
 * other audit sinks (README "Audit sinks"). The switches every profile shares (AGENT_TOOLS_PORT,
 * _DATA_DIR, _FLAW, _FORM, _SUBJECTS) are described in profile-parts.ts.
 */
import { jsonlMapping } from './evidence-mappings.ts'
import { AUDIT_FILES, agentToolsProfile } from './profile-parts.ts'

export default agentToolsProfile({
  name: 'agent-tools',
  description: 'the third-party example: oidc-provider AS, express + express-oauth2-jwt-bearer resource servers, JSON-lines audit',
  sink: 'jsonl',
  evidence: {
    kind: 'combined',
    sources: [
      { kind: 'jsonl', file: AUDIT_FILES.as, mapping: jsonlMapping },
      { kind: 'jsonl', file: AUDIT_FILES['rs-support'], mapping: jsonlMapping },
      { kind: 'jsonl', file: AUDIT_FILES['rs-kb'], mapping: jsonlMapping },
    ],
  },
})
