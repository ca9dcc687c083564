/**
 * A target's connection options (a profile's `hosts` and `tls`) as a run and the preflight use
 * them for every connection: judged before anything is made or contacted, so an entry without its
 * acknowledgement is ERR_TARGET_UNSAFE and a CA file that cannot be read ERR_TARGET_TLS.
 */
import type { TargetConnectionOptions, TargetTlsOptions } from '../contracts/target.ts'
import { HostPolicy } from '../protocol/host-policy.ts'
import { loadTls } from '../protocol/tls-settings.ts'

export function judgeConnection(connection: TargetConnectionOptions | undefined): { hosts: HostPolicy; tls?: TargetTlsOptions } {
  const hosts = HostPolicy.fromProfile(connection?.hosts)
  if (connection?.tls?.ca !== undefined) loadTls(connection.tls)
  return connection?.tls ? { hosts, tls: connection.tls } : { hosts }
}
