/**
 * The Worker Deployment version a worker declares: the configured deployment name, and the
 * configured build id or, by default, the git commit of the checkout it runs from, so two
 * different builds never share a version and one build always has the same one.
 */
import { execFileSync } from 'node:child_process';
import type { BosunConfig } from '../config';
import { PROJECT_ROOT } from '../config';

export interface DeploymentVersion {
  readonly deploymentName: string;
  readonly buildId: string;
}

/** The worker's deployment version when versioning is on (`BOSUN_WORKER_VERSIONING`), else undefined. */
export function workerDeploymentVersion(config: BosunConfig, gitDir = PROJECT_ROOT): DeploymentVersion | undefined {
  if (!config.worker.versioning) return undefined;
  return { deploymentName: config.worker.deploymentName, buildId: config.worker.buildId ?? gitBuildId(gitDir) };
}

function gitBuildId(dir: string): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', '--short=12', 'HEAD');
    // Uncommitted edits under workflows/ are different workflow code than the commit's.
    const dirty = git('status', '--porcelain', '--', 'workflows', 'domain') !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    throw new Error('worker versioning is on but BOSUN_BUILD_ID is unset and the build id cannot be taken from git: set BOSUN_BUILD_ID');
  }
}
