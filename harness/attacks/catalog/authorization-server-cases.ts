/** Attack cases answered by the authorization server (token endpoint, registration, revocation). */
import type { AttackCase } from '../catalog.ts'

export const AUTHORIZATION_SERVER_CASES: readonly AttackCase[] = []
