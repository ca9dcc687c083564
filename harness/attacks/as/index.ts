import type { AttackModule } from '../types.ts'

/** Generators for the authorization-server cases (catalog/authorization-server-cases.ts). */
export const AUTHORIZATION_SERVER_MODULES: readonly AttackModule[] = []
