// webppo is published as ES modules only. This file is what `require('webppo')` reaches: it explains instead
// of failing with ERR_PACKAGE_PATH_NOT_EXPORTED.
throw new Error(
  "webppo is ESM-only and cannot be require()d. Use `import { init, Agent } from 'webppo'` in an ES module " +
    "(.mjs, or \"type\": \"module\" in package.json), or `const webppo = await import('webppo')` from CommonJS.",
);
