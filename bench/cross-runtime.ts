// Runs the shared workload (bench/workload.ts) in this process, Node or Deno, and prints one JSON line
// prefixed with BENCH_RESULT for bench/all.mjs. `--backends cpu,webgpu` picks the trainers.
import { runWorkloads, type Backend } from './workload.ts';

const g = globalThis as Record<string, any>;
const deno = g.Deno;
const args: string[] = deno ? deno.args : g.process.argv.slice(2);
const at = args.indexOf('--backends');
const backends = (at >= 0 ? args[at + 1] : 'cpu,webgpu').split(',') as Backend[];
const runtime = deno ? 'Deno' : 'Node';
const version = deno ? deno.version.deno : g.process.versions.node;

const rows = await runWorkloads({ backends, log: (line) => console.error(`[${runtime}] ${line}`) });
console.log(`BENCH_RESULT ${JSON.stringify({ runtime, version, rows })}`);
// Dawn keeps Node's event loop alive; the results are out.
if (deno) deno.exit(0); else g.process.exit(0);
