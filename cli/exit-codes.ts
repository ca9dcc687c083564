import type { RunJson } from '../harness/contracts/run-json.ts'

/** Exit codes follow k6 where the meaning matches. Append only: a code never changes meaning. */
export const EXIT = {
  ready: 0,
  internal: 1,
  gatesFailed: 99,
  invalidConfig: 104,
  stoppedByUser: 105,
  scriptError: 107,
  aborted: 130,
  /** `gatecrash target check`: something a run needs does not work against the target (outside k6's 97–110) */
  targetCheckFailed: 120,
  /** `gatecrash verify`: the signature, a digest or an evidence chain of a signed run does not hold */
  verifyFailed: 121,
  /**
   * `gatecrash diff`, `gatecrash run --baseline`: worse than the baseline (a case, gate, coverage
   * or family it held; soft changes too under --strict). 121 is kept for bundle verification.
   */
  regressed: 122,
} as const

const BY_ERROR_CODE: Record<string, number> = {
  ERR_SCENARIO_INVALID: EXIT.invalidConfig,
  ERR_PROFILE_INVALID: EXIT.invalidConfig,
  ERR_PROFILE_LOAD: EXIT.invalidConfig,
  ERR_THRESHOLD_INVALID: EXIT.invalidConfig,
  ERR_CLI_USAGE: EXIT.invalidConfig,
  ERR_FLAW_UNKNOWN: EXIT.invalidConfig,
  ERR_TARGET_UNKNOWN: EXIT.invalidConfig,
  ERR_TARGET_UNSAFE: EXIT.invalidConfig,
  ERR_SCENARIO_LOAD: EXIT.scriptError,
  ERR_RUN_ABORTED: EXIT.stoppedByUser,
  ERR_RUN_DIR: EXIT.invalidConfig,
  ERR_TRACE_UNKNOWN: EXIT.invalidConfig,
  ERR_EVIDENCE_MAPPING: EXIT.invalidConfig,
  ERR_BUNDLE_REFUSED: EXIT.invalidConfig,
  ERR_BUNDLE_KEY: EXIT.invalidConfig,
  ERR_RUNS_INCOMPARABLE: EXIT.invalidConfig,
}

/**
 * A graded run's exit code (`run`, `report`). NOT READY stays 99 whatever a baseline says: CI reads
 * 99 as not ready, and a run that fails its own gates is not ready even where the baseline failed
 * them too. 122 is the news only a baseline gives: ready on its own gates, yet worse than the run it
 * is compared with (an ungated case that warns now, coverage lost, a family no longer held).
 */
export function exitCodeForRun(run: Pick<RunJson, 'verdict' | 'comparison'>): number {
  if (run.verdict !== 'ready') return EXIT.gatesFailed
  return run.comparison?.regressed ? EXIT.regressed : EXIT.ready
}

export function exitCodeForError(e: unknown): number {
  const code = (e as { code?: unknown })?.code
  return typeof code === 'string' && code in BY_ERROR_CODE ? BY_ERROR_CODE[code] : EXIT.internal
}
