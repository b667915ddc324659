// The installed package's version: read from the package.json next to the code (dist/ or src/), so the
// number has one source.
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  for (let url = new URL('./', import.meta.url); ; url = new URL('../', url)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'webppo' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: keep climbing
    }
    if (url.pathname === '/' || url.pathname.endsWith(':/')) throw new Error('could not find the webppo package.json');
  }
}
