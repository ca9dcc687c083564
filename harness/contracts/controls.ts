/**
 * The control frameworks a run's results are mapped to (docs/controls.md): a framework is a closed
 * list of control ids with titles, and each case, check or gate names the controls it gives
 * evidence for. The data lives in attacks/controls/; the oracle rolls it up per run from this
 * shape alone, so it never needs the catalog itself.
 */

export type FrameworkId = 'owasp-asi' | 'owasp-nhi' | 'nist-800-53' | 'nist-ai-rmf' | 'refs'

export interface FrameworkControl {
  id: string
  title: string
}

export interface Framework {
  id: FrameworkId
  name: string
  version: string
  url: string
  /** every control of the framework in its own order, the ones no case exercises included: those are the honest gaps */
  controls: readonly FrameworkControl[]
}

/**
 * What one case, check or gate gives evidence for. `case` covers the issued-token, metadata and
 * evidence checks too: they are rows of run.json's `cases` like the attacks. `gate` is a run-wide
 * gate by metric name (`gatecrash_evidence_integrity`), whatever its tag filter.
 */
export interface ControlEvidence {
  kind: 'case' | 'gate'
  id: string
  controls: Partial<Record<FrameworkId, readonly string[]>>
}
