/**
 * The control frameworks a run is mapped to, as data: id → title, per framework, with where the
 * framework is published. Each list is the framework's own (or, for SP 800-53, the part of it a
 * test of privilege boundaries could speak to), so the controls no case exercises show up as gaps
 * instead of vanishing. Which case evidences which control is in mapping.ts; why, in docs/controls.md.
 *
 * Sources: the OWASP lists as published (genai.owasp.org, owasp.org), SP 800-53 Rev. 5 and AI RMF 1.0
 * (NIST AI 100-1) as published by NIST. Titles are the frameworks' own; AI RMF subcategories are
 * shortened to their subject, since the full sentences do not fit a table cell.
 */
import type { Framework, FrameworkId } from '../../contracts/controls.ts'

const ASI: Framework = {
  id: 'owasp-asi',
  name: 'OWASP Top 10 for Agentic Applications',
  version: '2026',
  url: 'https://genai.owasp.org/resource/owasp-top-10-for-agentic-applications-for-2026/',
  controls: [
    { id: 'ASI01', title: 'Agent Goal Hijack' },
    { id: 'ASI02', title: 'Tool Misuse and Exploitation' },
    { id: 'ASI03', title: 'Identity and Privilege Abuse' },
    { id: 'ASI04', title: 'Agentic Supply Chain Vulnerabilities' },
    { id: 'ASI05', title: 'Unexpected Code Execution (RCE)' },
    { id: 'ASI06', title: 'Memory and Context Poisoning' },
    { id: 'ASI07', title: 'Insecure Inter-Agent Communication' },
    { id: 'ASI08', title: 'Cascading Failures' },
    { id: 'ASI09', title: 'Human-Agent Trust Exploitation' },
    { id: 'ASI10', title: 'Rogue Agents' },
  ],
}

const NHI: Framework = {
  id: 'owasp-nhi',
  name: 'OWASP Non-Human Identities Top 10',
  version: '2025',
  url: 'https://owasp.org/www-project-non-human-identities-top-10/2025/top-10-2025/',
  controls: [
    { id: 'NHI1', title: 'Improper Offboarding' },
    { id: 'NHI2', title: 'Secret Leakage' },
    { id: 'NHI3', title: 'Vulnerable Third-Party NHI' },
    { id: 'NHI4', title: 'Insecure Authentication' },
    { id: 'NHI5', title: 'Overprivileged NHI' },
    { id: 'NHI6', title: 'Insecure Cloud Deployment Configurations' },
    { id: 'NHI7', title: 'Long-Lived Secrets' },
    { id: 'NHI8', title: 'Environment Isolation' },
    { id: 'NHI9', title: 'NHI Reuse' },
    { id: 'NHI10', title: 'Human Use of NHI' },
  ],
}

/**
 * The access-control, audit, identification and communication-protection controls (and the
 * enhancements the cases speak to). The other families (planning, personnel, physical, media,
 * contingency…) are organisational: no run of traffic can evidence them, so they are left out
 * rather than listed as hundreds of gaps (docs/controls.md says so).
 */
const SP800_53: Framework = {
  id: 'nist-800-53',
  name: 'NIST SP 800-53',
  version: 'Rev. 5',
  url: 'https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final',
  controls: [
    { id: 'AC-2', title: 'Account Management' },
    { id: 'AC-3', title: 'Access Enforcement' },
    { id: 'AC-4', title: 'Information Flow Enforcement' },
    { id: 'AC-5', title: 'Separation of Duties' },
    { id: 'AC-6', title: 'Least Privilege' },
    { id: 'AC-6(9)', title: 'Least Privilege | Log Use of Privileged Functions' },
    { id: 'AC-6(10)', title: 'Least Privilege | Prohibit Non-privileged Users from Executing Privileged Functions' },
    { id: 'AC-7', title: 'Unsuccessful Logon Attempts' },
    { id: 'AC-10', title: 'Concurrent Session Control' },
    { id: 'AC-12', title: 'Session Termination' },
    { id: 'AC-14', title: 'Permitted Actions Without Identification or Authentication' },
    { id: 'AC-17', title: 'Remote Access' },
    { id: 'AC-24', title: 'Access Control Decisions' },
    { id: 'AU-2', title: 'Event Logging' },
    { id: 'AU-3', title: 'Content of Audit Records' },
    { id: 'AU-6', title: 'Audit Record Review, Analysis, and Reporting' },
    { id: 'AU-8', title: 'Time Stamps' },
    { id: 'AU-9', title: 'Protection of Audit Information' },
    { id: 'AU-10', title: 'Non-repudiation' },
    { id: 'AU-12', title: 'Audit Record Generation' },
    { id: 'IA-2', title: 'Identification and Authentication (Organizational Users)' },
    { id: 'IA-2(8)', title: 'Identification and Authentication (Organizational Users) | Access to Accounts — Replay Resistant' },
    { id: 'IA-3', title: 'Device Identification and Authentication' },
    { id: 'IA-4', title: 'Identifier Management' },
    { id: 'IA-5', title: 'Authenticator Management' },
    { id: 'IA-5(2)', title: 'Authenticator Management | Public Key-based Authentication' },
    { id: 'IA-5(13)', title: 'Authenticator Management | Expiration of Cached Authenticators' },
    { id: 'IA-8', title: 'Identification and Authentication (Non-organizational Users)' },
    { id: 'IA-9', title: 'Service Identification and Authentication' },
    { id: 'IA-11', title: 'Re-authentication' },
    { id: 'SC-5', title: 'Denial-of-service Protection' },
    { id: 'SC-7', title: 'Boundary Protection' },
    { id: 'SC-8', title: 'Transmission Confidentiality and Integrity' },
    { id: 'SC-12', title: 'Cryptographic Key Establishment and Management' },
    { id: 'SC-13', title: 'Cryptographic Protection' },
    { id: 'SC-23', title: 'Session Authenticity' },
    { id: 'SC-28', title: 'Protection of Information at Rest' },
    { id: 'SI-4', title: 'System Monitoring' },
    { id: 'SI-10', title: 'Information Input Validation' },
    { id: 'SI-11', title: 'Error Handling' },
  ],
}

/**
 * GOVERN and MAP as whole functions: their subcategories are about policies, roles and context,
 * which a run cannot evidence. MEASURE and MANAGE by subcategory, where a run can speak to a few.
 */
const AI_RMF: Framework = {
  id: 'nist-ai-rmf',
  name: 'NIST AI Risk Management Framework',
  version: '1.0 (NIST AI 100-1)',
  url: 'https://doi.org/10.6028/NIST.AI.100-1',
  controls: [
    { id: 'GOVERN', title: 'A culture of risk management is cultivated and present (whole function)' },
    { id: 'MAP', title: 'Context is recognized and risks related to context are identified (whole function)' },
    { id: 'MEASURE 1.1', title: 'Approaches and metrics for the most significant AI risks are selected; what cannot be measured is documented' },
    { id: 'MEASURE 1.2', title: 'Appropriateness of metrics and effectiveness of existing controls are regularly assessed' },
    { id: 'MEASURE 1.3', title: 'Internal experts or independent assessors are involved in regular assessments' },
    { id: 'MEASURE 2.1', title: 'Test sets, metrics and details about the tools used during TEVV are documented' },
    { id: 'MEASURE 2.2', title: 'Evaluations involving human subjects meet applicable requirements' },
    { id: 'MEASURE 2.3', title: 'Performance or assurance criteria are measured for conditions similar to deployment' },
    { id: 'MEASURE 2.4', title: 'Functionality and behavior of the system and its components are monitored in production' },
    { id: 'MEASURE 2.5', title: 'The system to be deployed is demonstrated to be valid and reliable' },
    { id: 'MEASURE 2.6', title: 'The system is evaluated regularly for safety risks and can fail safely' },
    { id: 'MEASURE 2.7', title: 'AI system security and resilience are evaluated and documented' },
    { id: 'MEASURE 2.8', title: 'Risks associated with transparency and accountability are examined and documented' },
    { id: 'MEASURE 2.9', title: 'The AI model is explained, validated and documented' },
    { id: 'MEASURE 2.10', title: 'Privacy risk of the AI system is examined and documented' },
    { id: 'MEASURE 2.11', title: 'Fairness and bias are evaluated and results documented' },
    { id: 'MEASURE 2.12', title: 'Environmental impact and sustainability are assessed and documented' },
    { id: 'MEASURE 2.13', title: 'Effectiveness of the TEVV metrics and processes is evaluated and documented' },
    { id: 'MEASURE 3.1', title: 'Existing, unanticipated and emergent AI risks are regularly identified and tracked' },
    { id: 'MEASURE 3.2', title: 'Risk tracking is considered where risks are hard to assess with current techniques' },
    { id: 'MEASURE 3.3', title: 'Feedback processes for end users and impacted communities are established' },
    { id: 'MEASURE 4.1', title: 'Measurement approaches are connected to deployment contexts and documented' },
    { id: 'MEASURE 4.2', title: 'Measurement results on trustworthiness in deployment are validated with domain experts' },
    { id: 'MEASURE 4.3', title: 'Measurable performance improvements or declines are identified and documented' },
    { id: 'MANAGE 1.1', title: 'A determination is made whether the system achieves its purpose and whether deployment should proceed' },
    { id: 'MANAGE 1.2', title: 'Treatment of documented AI risks is prioritized' },
    { id: 'MANAGE 1.3', title: 'Responses to high-priority AI risks are developed, planned and documented' },
    { id: 'MANAGE 1.4', title: 'Negative residual risks are documented' },
    { id: 'MANAGE 2.1', title: 'Resources required to manage AI risks are taken into account' },
    { id: 'MANAGE 2.2', title: 'Mechanisms are in place to sustain the value of deployed AI systems' },
    { id: 'MANAGE 2.3', title: 'Procedures are followed to respond to and recover from a previously unknown risk' },
    { id: 'MANAGE 2.4', title: 'Mechanisms are in place and applied to supersede, disengage or deactivate AI systems' },
    { id: 'MANAGE 3.1', title: 'AI risks and benefits from third-party resources are monitored and controlled' },
    { id: 'MANAGE 3.2', title: 'Pre-trained models used for development are monitored' },
    { id: 'MANAGE 4.1', title: 'Post-deployment monitoring plans are implemented (incl. decommissioning and incident response)' },
    { id: 'MANAGE 4.2', title: 'Measurable activities for continual improvement are integrated into system updates' },
    { id: 'MANAGE 4.3', title: 'Incidents and errors are communicated and tracked' },
  ],
}

/**
 * The documents the cases cite in their `refs`, one control per document (the sections stay on the
 * case rows): which specifications a run held the target to. Every ref's document must be here
 * (test/unit/attacks/controls.test.ts).
 */
const REFS: Framework = {
  id: 'refs',
  name: 'Specifications the cases cite',
  version: 'as cited (catalog refs)',
  url: 'https://www.rfc-editor.org/',
  controls: [
    { id: 'RFC 3986', title: 'Uniform Resource Identifier (URI): Generic Syntax' },
    { id: 'RFC 6749', title: 'The OAuth 2.0 Authorization Framework' },
    { id: 'RFC 6750', title: 'The OAuth 2.0 Authorization Framework: Bearer Token Usage' },
    { id: 'RFC 7009', title: 'OAuth 2.0 Token Revocation' },
    { id: 'RFC 7239', title: 'Forwarded HTTP Extension' },
    { id: 'RFC 7517', title: 'JSON Web Key (JWK)' },
    { id: 'RFC 7518', title: 'JSON Web Algorithms (JWA)' },
    { id: 'RFC 7519', title: 'JSON Web Token (JWT)' },
    { id: 'RFC 7521', title: 'Assertion Framework for OAuth 2.0 Client Authentication and Authorization Grants' },
    { id: 'RFC 7523', title: 'JSON Web Token (JWT) Profile for OAuth 2.0 Client Authentication and Authorization Grants' },
    { id: 'RFC 7591', title: 'OAuth 2.0 Dynamic Client Registration Protocol' },
    { id: 'RFC 7592', title: 'OAuth 2.0 Dynamic Client Registration Management Protocol' },
    { id: 'RFC 7638', title: 'JSON Web Key (JWK) Thumbprint' },
    { id: 'RFC 7662', title: 'OAuth 2.0 Token Introspection' },
    { id: 'RFC 8414', title: 'OAuth 2.0 Authorization Server Metadata' },
    { id: 'RFC 8693', title: 'OAuth 2.0 Token Exchange' },
    { id: 'RFC 8707', title: 'Resource Indicators for OAuth 2.0' },
    { id: 'RFC 8725', title: 'JSON Web Token Best Current Practices' },
    { id: 'RFC 9068', title: 'JSON Web Token (JWT) Profile for OAuth 2.0 Access Tokens' },
    { id: 'RFC 9110', title: 'HTTP Semantics' },
    { id: 'RFC 9449', title: 'OAuth 2.0 Demonstrating Proof of Possession (DPoP)' },
    { id: 'RFC 9700', title: 'Best Current Practice for OAuth 2.0 Security' },
    { id: 'draft-ietf-oauth-rfc7523bis', title: 'Updates to Audience Values for OAuth 2.0 Authorization Servers (IETF draft)' },
    { id: 'TXN', title: 'Transaction Tokens, draft-ietf-oauth-transaction-tokens (IETF draft)' },
    { id: 'TXN-AGENTS', title: 'Transaction Tokens for Agents (Internet-Draft)' },
    { id: 'CHAIN', title: 'OAuth Identity and Authorization Chaining Across Domains, draft-ietf-oauth-identity-chaining (IETF draft)' },
    { id: 'OWASP API1:2023', title: 'OWASP API Security Top 10: Broken Object Level Authorization' },
    { id: 'OWASP API5:2023', title: 'OWASP API Security Top 10: Broken Function Level Authorization' },
    { id: 'OWASP API6:2023', title: 'OWASP API Security Top 10: Unrestricted Access to Sensitive Business Flows' },
    { id: 'OWASP API8:2023', title: 'OWASP API Security Top 10: Security Misconfiguration' },
    { id: 'OWASP API9:2023', title: 'OWASP API Security Top 10: Improper Inventory Management' },
    { id: 'evidence schema', title: 'gatecrash evidence schema (docs/evidence-schema.md)' },
  ],
}

/** In the order a report shows them: the agent risks first, then the control catalogs, then the specifications. */
export const FRAMEWORKS: readonly Framework[] = [ASI, NHI, SP800_53, AI_RMF, REFS]

export function frameworkById(id: FrameworkId): Framework {
  const f = FRAMEWORKS.find((x) => x.id === id)
  if (!f) throw new Error(`unknown control framework ${id}`)
  return f
}

/**
 * The document a ref cites, as its id in the `refs` framework: `RFC 9449 §4.3 (11)` → `RFC 9449`,
 * `draft-ietf-oauth-rfc7523bis-11 §4` → `draft-ietf-oauth-rfc7523bis`, `TXN-AGENTS SC 3, 7` →
 * `TXN-AGENTS`. null: a ref of a shape nobody placed yet (the unit test fails on it).
 */
export function citedDocument(ref: string): string | null {
  const m = /^(RFC \d+|OWASP API\d+:2023|draft-ietf-oauth-rfc7523bis|TXN-AGENTS|TXN|CHAIN|evidence schema)\b/.exec(ref)
  return m ? m[1] : null
}
