/**
 * The grader's version, written into run.json (`tool.grader`), so `gatecrash report` can say when
 * an old run is judged by gates that did not exist when it was made. Bump it when a default gate
 * is added or a grading rule changes, and list the gates it adds.
 *
 *   1: the five security gates (breaches, block rate of MUST cases, evidence coverage, attribution,
 *      legitimate success outside faults); runs without `tool.grader` are version 1.
 *   2: evidence integrity decides the verdict (gatecrash_evidence_integrity).
 *   3: legitimate success counts calls served (a wrong record counts under coverage or attribution
 *      only); controls stay out of the block rate; a MUST control refused fails the run
 *      (gatecrash_false_denies{kind:attack}).
 *   4: every issued token is checked (oracle/issued-token.ts); the policy checks gate by default
 *      (gatecrash_warns{case:issued.act-chain|issued.scope|issued.lifetime}); an exchange answered
 *      with a lawful narrower token counts as blocked in the block rate (attackHeld), and one whose
 *      response does not state the narrower scope is a warn (RFC 6749 §5.1); every evidence record
 *      is read for credentials (evidence.no-secrets); an accepted attack's allow record is no longer
 *      held to the refusal's attribution (it counted against attribution accuracy for a lawful
 *      SHOULD/MAY acceptance).
 *   5: transactions are rebuilt from the target's records alone, a seeded sample of legitimate calls
 *      and every failing attack, and must name the principal and actors the harness used
 *      (gatecrash_reconstruction, oracle/reconstruct.ts).
 */
export const GRADER_VERSION = 5

/** Default gate keys by the grader version that added them; the rest date from version 1. */
export const DEFAULT_GATE_SINCE: Readonly<Record<string, number>> = {
  gatecrash_evidence_integrity: 2,
  'gatecrash_false_denies{kind:attack}': 3,
  'gatecrash_warns{case:issued.act-chain}': 4,
  'gatecrash_warns{case:issued.scope}': 4,
  'gatecrash_warns{case:issued.lifetime}': 4,
  gatecrash_reconstruction: 5,
}
