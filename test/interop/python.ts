// Finding a Python with torch and numpy for the interop tests: $WEBPPO_PYTHON, else python3 on PATH, else
// Debian's /usr/bin/python3 (where apt's python3-torch installs). Undefined when none has them.
import { spawnSync } from 'node:child_process';

let found: string | null | undefined;

export function pythonWithTorch(): string | undefined {
  if (found === undefined) {
    found = null;
    for (const candidate of [process.env.WEBPPO_PYTHON, 'python3', '/usr/bin/python3']) {
      if (!candidate) continue;
      const probe = spawnSync(candidate, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
      if (probe.status === 0) { found = candidate; break; }
    }
  }
  return found ?? undefined;
}

/** The command Python uses to start serve-env from the source tree (no build needed). */
export const SERVE_ENV_FROM_SOURCE = 'node --import tsx src/interop/serve-env/main.ts';

export const NO_TORCH = 'no Python with torch and numpy found (set WEBPPO_PYTHON, or apt-get install python3-torch python3-numpy): the Python interop tests are skipped';
