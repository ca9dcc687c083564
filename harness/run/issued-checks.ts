/**
 * The issued-token checks of one run or preflight (oracle/issued-ledger.ts), with the lifetime
 * policy they judge by: the scenario's `policy.maxTokenLifetime`, else what the target states
 * (`policy.maxTokenLifetimeS`), else an hour. Made once the target has started, since only then is
 * its policy known.
 */
import { ISSUED_TOKEN_CHECKS } from '../attacks/catalog/issued-token-checks.ts'
import { parseDuration } from '../contracts/duration.ts'
import type { StartedTarget } from '../contracts/target.ts'
import { IssuedTokenLedger } from '../oracle/issued-ledger.ts'
import { DEFAULT_MAX_LIFETIME_S } from '../oracle/issued-token.ts'
import type { ScenarioConfig } from '../scenario/types.ts'
import type { HttpClient } from '../protocol/http.ts'

export function maxTokenLifetimeS(config: Pick<ScenarioConfig, 'policy'>, target: Pick<StartedTarget, 'policy'>): number {
  const fromScenario = config.policy?.maxTokenLifetime === undefined ? undefined : parseDuration(config.policy.maxTokenLifetime)
  return fromScenario != null ? Math.round(fromScenario / 1000) : (target.policy?.maxTokenLifetimeS ?? DEFAULT_MAX_LIFETIME_S)
}

export function issuedTokenLedger(config: Pick<ScenarioConfig, 'policy'>, target: Pick<StartedTarget, 'policy'>): IssuedTokenLedger {
  return new IssuedTokenLedger(ISSUED_TOKEN_CHECKS, maxTokenLifetimeS(config, target))
}

/** What the AS publishes as its keys, judged once (metadata.jwks-public); a fetch that fails leaves the check not judged, saying why. */
export async function checkJwks(ledger: IssuedTokenLedger, uri: string | undefined, http: HttpClient): Promise<void> {
  if (!uri) return ledger.observeJwks(null, 'the AS metadata (no jwks_uri)')
  try {
    const res = await http.request(uri)
    ledger.observeJwks(res.status === 200 ? res.body : null, res.status === 200 ? `jwks_uri ${uri}` : `jwks_uri ${uri} (HTTP ${res.status})`)
  } catch (e) {
    ledger.observeJwks(null, `jwks_uri ${uri} (${(e as Error).message})`)
  }
}
