// `node --import tsx src/interop/serve-env/main.ts <env> [...]`: serve-env without the rest of the CLI (no
// wasm is loaded), for running from the source tree. Installed packages use `webppo serve-env`.
import { InteropUsageError, serveEnvCommand } from '../cli.js';

serveEnvCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`webppo serve-env: ${(error as Error).message}`);
    process.exit(error instanceof InteropUsageError ? 2 : 1);
  },
);
