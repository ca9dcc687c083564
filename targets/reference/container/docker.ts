/**
 * The Docker side of running reference-target components in containers, through testcontainers:
 * the engine check, the base image (built once per machine and Node version by `docker import` of
 * a tarball holding this Node binary, the libraries `ldd` lists and /bin/sh: no registry is needed)
 * and the cleanup after a harness that was killed (containers carry the owning harness's pid).
 *
 * The code lives in targets/shared/container/, which a target profile's deployment containers use
 * too; this module keeps the names the reference target and its tests import.
 *
 * @example
 * const client = await dockerClient()                 // ERR_TARGET_START with a hint when no engine answers
 * await cleanupStaleContainers(client, log)          // containers of harnesses that are gone
 * const image = await baseImage(client, log)          // 'gatecrash-node-base:24.21.0-x64'
 */
export { dockerAvailable, dockerClient } from '../../shared/container/engine.ts'
export { baseImage, baseImageTag, IMAGE_NODE } from '../../shared/container/base-image.ts'
export { LABEL, LABEL_OWNER_PID, LABEL_OWNER_START, ownerLabels } from '../../shared/container/owner.ts'
export { cleanupIfContainersWereUsed, cleanupStaleContainers, CONTAINERS_MARK, gatecrashContainers, markContainersUsed } from '../../shared/container/stale-containers.ts'
