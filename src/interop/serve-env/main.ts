// `node --import tsx src/interop/serve-env/main.ts <env> [...]`: serve-env without the rest of the CLI (no
// wasm is loaded), for running from the source tree. Installed packages use `webppo serve-env`.
import { parseArgs } from '../../cli/args.js';
import { serveEnvCommand } from '../../cli/commands/serve-env.js';
import { prefixed, UsageError } from '../../cli/errors.js';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
const io = { out: (line: string) => process.stdout.write(`${line}\n`), err: (line: string) => process.stderr.write(`${line}\n`), signal: controller.signal };
try {
  await serveEnvCommand.run(parseArgs(['serve-env', ...process.argv.slice(2)], serveEnvCommand.flags), io);
  process.exit(0);
} catch (error) {
  io.err(prefixed(`serve-env: ${(error as Error).message}`));
  process.exit(error instanceof UsageError ? 2 : 1);
}
