/**
 * The `deployment` section of a target profile: how to start the user's own deployment before a
 * run and stop it after, the way Playwright's `webServer` does. Checked by spec-check.ts.
 *
 * @example
 * const deployment: DeploymentSpec = {
 *   containers: [{ name: 'db', dockerfile: 'db/Dockerfile', context: 'db', ready: { log: 'listening' } }],
 *   processes: [
 *     { name: 'as', command: ['node', 'as/main.js'], env: { PORT: '9100' }, ready: { url: 'http://127.0.0.1:9100/.well-known/oauth-authorization-server' } },
 *     { name: 'rs', command: ['node', 'rs/main.js'], ready: { url: 'http://127.0.0.1:9200/health' }, timeout: '30s' },
 *   ],
 * }
 */

export type { CommandReady, ContainerSpec, DeploymentSpec, LogReady, MountSpec, ProcessSpec } from '../../../harness/profile/deployment.ts'

export const DEFAULT_READY_TIMEOUT = '60s'

/** the build argument naming the base image a deployment's Dockerfile starts FROM */
export const BASE_IMAGE_ARG = 'GATECRASH_NODE_BASE'

export const COMPONENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
