/**
 * The `deployment` section of a target profile: how gatecrash starts the user's own deployment
 * before a run and stops it after, the way Playwright's `webServer` does. Types only: the profile
 * adapter (targets/profile/deployment/) checks and runs it.
 */

/** A program run on this machine, in its own process group. */
export interface ProcessSpec {
  /** names its log file (`<name>.log`) and its component; letters, digits, `_`, `.`, `-` */
  name: string
  /** program and arguments, run without a shell; `node` means the harness's own Node binary */
  command: string[]
  /** working directory; relative to the profile's folder (default: that folder) */
  cwd?: string
  /** added to the harness's environment; values never leave the process (the state dir keeps hashes) */
  env?: Record<string, string>
  /** ready once this loopback URL answers with any HTTP status below 500 */
  ready: { url: string }
  /** k6 duration to wait for ready (default `60s`) */
  timeout?: string
}

/** wait until this line (a substring) appears in the container's output */
export interface LogReady {
  log: string
}

/** wait until this command, run in the container without a shell, exits 0 */
export interface CommandReady {
  command: string[]
}

/**
 * An image built from a Dockerfile and run through testcontainers with host networking, so it
 * listens on 127.0.0.1 of this machine. No registry is reachable: the Dockerfile starts
 * `ARG GATECRASH_NODE_BASE` / `FROM ${GATECRASH_NODE_BASE}` (the image imported from the local Node
 * binary) and uses COPY, ENV and CMD only.
 */
export interface ContainerSpec {
  name: string
  /** path of the Dockerfile, inside `context`; relative to the profile's folder */
  dockerfile: string
  /** build context directory; relative to the profile's folder */
  context: string
  /** program and arguments in place of the image's CMD (one image, several components) */
  command?: string[]
  env?: Record<string, string>
  /**
   * Folders of this machine bound into the container, e.g. where it writes the audit log a JSONL
   * evidence source reads. `source` is relative to the profile's folder and made if missing.
   */
  mounts?: MountSpec[]
  ready: LogReady | CommandReady
  timeout?: string
  /** where it answers (loopback), if it serves HTTP: the component's URL, and checked for reuse */
  url?: string
}

export interface MountSpec {
  /** a folder of this machine; relative to the profile's folder */
  source: string
  /** an absolute path in the container */
  target: string
  /** default false */
  readOnly?: boolean
}

export interface DeploymentSpec {
  /** started first, in this order (a database the processes need) */
  containers?: ContainerSpec[]
  /** started after the containers, in this order: a later one may depend on an earlier one */
  processes?: ProcessSpec[]
  /**
   * When a ready URL already answers before the start: reuse that deployment if gatecrash started
   * it with the same settings and it still runs (default true). False: never reuse; an address
   * already answering is an error.
   */
  reuseExisting?: boolean
}
