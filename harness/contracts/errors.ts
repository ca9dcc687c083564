/**
 * Typed errors with stable codes (jose style). `code` never changes meaning once released;
 * `hint` tells a user what to do (which file, which key, what is allowed).
 * Programming misuse throws a plain TypeError instead.
 */
export type HarnessErrorCode =
  | 'ERR_SCENARIO_INVALID'
  | 'ERR_SCENARIO_LOAD'
  | 'ERR_PROFILE_INVALID'
  | 'ERR_PROFILE_LOAD'
  | 'ERR_ADMIN_HOOK_MISSING'
  | 'ERR_CLI_USAGE'
  | 'ERR_TARGET_UNKNOWN'
  | 'ERR_TARGET_START'
  | 'ERR_FLAW_UNKNOWN'
  | 'ERR_TARGET_UNREACHABLE'
  | 'ERR_TARGET_UNSAFE'
  | 'ERR_TARGET_TLS'
  | 'ERR_PROVISIONING'
  | 'ERR_OAUTH_RESPONSE'
  | 'ERR_EVIDENCE_UNAVAILABLE'
  | 'ERR_EVIDENCE_MAPPING'
  | 'ERR_RUN_DIR'
  | 'ERR_RUN_ABORTED'
  | 'ERR_THRESHOLD_INVALID'
  | 'ERR_FAULT_INJECTION_FAILED'
  | 'ERR_BUNDLE_REFUSED'
  | 'ERR_BUNDLE_KEY'
  | 'ERR_BROWSER_UNAVAILABLE'
  | 'ERR_RUNS_INCOMPARABLE'

export interface HarnessErrorOptions {
  cause?: unknown
  hint?: string
}

export class HarnessError extends Error {
  static code: HarnessErrorCode | (string & {}) = 'ERR_HARNESS'
  code: HarnessErrorCode | (string & {}) = 'ERR_HARNESS'
  hint?: string
  constructor(message: string, options: HarnessErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.hint = options.hint
  }
}

/**
 * A mistake in a file a user wrote, at one key: `file` and the dotted key path at fault (e.g.
 * `scenarios.workload.rate`, `resources.0.tools.1.scope`), besides the message and hint.
 */
export class FileKeyError extends HarnessError {
  file?: string
  key?: string
  constructor(message: string, options: HarnessErrorOptions & { file?: string; key?: string } = {}) {
    super(message, options)
    this.file = options.file
    this.key = options.key
  }
}

export class ScenarioInvalid extends FileKeyError {
  static override code = 'ERR_SCENARIO_INVALID'
  override code = 'ERR_SCENARIO_INVALID'
}

/** A target profile (defineTarget) with an unknown key, a wrong type or a missing value. */
export class ProfileInvalid extends FileKeyError {
  static override code = 'ERR_PROFILE_INVALID'
  override code = 'ERR_PROFILE_INVALID'
}

/** A target profile file that cannot be loaded (missing, a syntax error, no default export). */
export class ProfileLoadFailed extends HarnessError {
  static override code = 'ERR_PROFILE_LOAD'
  override code = 'ERR_PROFILE_LOAD'
}

/** A case asked the target for an admin hook it does not declare: the case is not covered. */
export class AdminHookMissing extends HarnessError {
  static override code = 'ERR_ADMIN_HOOK_MISSING'
  override code = 'ERR_ADMIN_HOOK_MISSING'
}

export class ScenarioLoadFailed extends HarnessError {
  static override code = 'ERR_SCENARIO_LOAD'
  override code = 'ERR_SCENARIO_LOAD'
}

export class CliUsage extends HarnessError {
  static override code = 'ERR_CLI_USAGE'
  override code = 'ERR_CLI_USAGE'
}

export class TargetUnknown extends HarnessError {
  static override code = 'ERR_TARGET_UNKNOWN'
  override code = 'ERR_TARGET_UNKNOWN'
}

export class TargetStartFailed extends HarnessError {
  static override code = 'ERR_TARGET_START'
  override code = 'ERR_TARGET_START'
}

/** The profile's subject-token command failed, timed out or printed no single token. */
export class SubjectTokenFailed extends HarnessError {
  static override code = 'ERR_SUBJECT_TOKEN'
  override code = 'ERR_SUBJECT_TOKEN'
}

export class FlawUnknown extends HarnessError {
  static override code = 'ERR_FLAW_UNKNOWN'
  override code = 'ERR_FLAW_UNKNOWN'
}

export class TargetUnreachable extends HarnessError {
  static override code = 'ERR_TARGET_UNREACHABLE'
  override code = 'ERR_TARGET_UNREACHABLE'
}

/** The safety allowlist refused an address (only loopback unless a profile acknowledges more). */
export class TargetUnsafe extends HarnessError {
  static override code = 'ERR_TARGET_UNSAFE'
  override code = 'ERR_TARGET_UNSAFE'
}

/** TLS to the target failed: an unknown CA, a certificate for another name, a handshake that never finished, an unreadable CA file. */
export class TargetTlsFailed extends HarnessError {
  static override code = 'ERR_TARGET_TLS'
  override code = 'ERR_TARGET_TLS'
}

export class ProvisioningFailed extends HarnessError {
  static override code = 'ERR_PROVISIONING'
  override code = 'ERR_PROVISIONING'
}

export class EvidenceUnavailable extends HarnessError {
  static override code = 'ERR_EVIDENCE_UNAVAILABLE'
  override code = 'ERR_EVIDENCE_UNAVAILABLE'
}

/**
 * A target's evidence mapping (docs/evidence-mapping.md), or the source declaration that carries it,
 * is not what the harness can read: an unknown target field, a rule of the wrong shape, a value a
 * field cannot hold. Names the file and the dotted key, like ScenarioInvalid.
 */
export class EvidenceMappingInvalid extends FileKeyError {
  static override code = 'ERR_EVIDENCE_MAPPING'
  override code = 'ERR_EVIDENCE_MAPPING'
}

export class RunDirFailed extends HarnessError {
  static override code = 'ERR_RUN_DIR'
  override code = 'ERR_RUN_DIR'
}

/** `gatecrash trace`: no attempt of the run carried this trace id. */
export class TraceUnknown extends HarnessError {
  static override code = 'ERR_TRACE_UNKNOWN'
  override code = 'ERR_TRACE_UNKNOWN'
}

export class RunAborted extends HarnessError {
  static override code = 'ERR_RUN_ABORTED'
  override code = 'ERR_RUN_ABORTED'
}

export class ThresholdInvalid extends HarnessError {
  static override code = 'ERR_THRESHOLD_INVALID'
  override code = 'ERR_THRESHOLD_INVALID'
}

/**
 * `gatecrash bundle sign` will not sign this run directory as it is: no run.json (the run never
 * finished), signed already (without --force), a run store still open, a file it cannot digest.
 */
export class BundleRefused extends HarnessError {
  static override code = 'ERR_BUNDLE_REFUSED'
  override code = 'ERR_BUNDLE_REFUSED'
}

/** A signing or trusted key that cannot be read or is not Ed25519 or ECDSA P-256. Never quotes the key. */
export class BundleKeyInvalid extends HarnessError {
  static override code = 'ERR_BUNDLE_KEY'
  override code = 'ERR_BUNDLE_KEY'
}

/** No Chromium to print report.html with (`gatecrash report --pdf`): none at the path, or it would not start. */
export class BrowserUnavailable extends HarnessError {
  static override code = 'ERR_BROWSER_UNAVAILABLE'
  override code = 'ERR_BROWSER_UNAVAILABLE'
}

/** Two runs with no attack case in common (`gatecrash diff`, `run --baseline`): every case would read as lost coverage. */
export class RunsIncomparable extends HarnessError {
  static override code = 'ERR_RUNS_INCOMPARABLE'
  override code = 'ERR_RUNS_INCOMPARABLE'
}

export function isHarnessError(e: unknown): e is HarnessError {
  return e instanceof HarnessError
}
