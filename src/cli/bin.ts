#!/usr/bin/env node
// The `webppo` executable: always runs the CLI, however it is reached (node_modules/.bin symlink, npx, a
// global install, `deno run npm:webppo`). Exits once stdout has drained, so a WebGPU device or a pending
// handle cannot keep the process alive and piped output is never cut short.
import process from 'node:process';
import { main } from './index.js';

const code = await main(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));
