/**
 * Starting and stopping a target profile's own deployment (issue 12), for the profile adapter:
 * processes and containers, readiness, reuse of a running one, logs beside the run directory,
 * cleanup after a killed harness. See start-deployment.ts.
 *
 * @example
 * const spec = checkDeploymentSpec(profile.deployment, { file: profileFile })
 * await using deployment = await startDeployment(spec, { stateDir: '.gatecrash', logsDir: logsDirFor(runDir), redactor, stop })
 */
export { startDeployment } from './start-deployment.ts'
export type { StartDeploymentOptions, StartedDeployment } from './started-deployment.ts'
export { checkDeploymentSpec } from './spec-check.ts'
export type { CommandReady, ContainerSpec, DeploymentSpec, LogReady, ProcessSpec } from './spec.ts'
export { BASE_IMAGE_ARG, DEFAULT_READY_TIMEOUT } from './spec.ts'
export { logsDirFor } from './log-sink.ts'
