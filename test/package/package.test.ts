// The packed tarball installed into a fresh consumer (test/package/tarball.ts): what `npm i webppo` gives.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packedConsumer, packedTarball, REPO } from './tarball.js';
import { typecheck, type Variant } from './typecheck.js';

let consumer: string;
const version = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version as string;

beforeAll(async () => {
  consumer = await packedConsumer();
}, 300_000);

function node(cwd: string, script: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8', timeout: 60_000 });
}

/** A scratch project whose node_modules links the installed package and the given type packages. */
function project(links: Record<string, string>, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'webppo-consumer-'));
  for (const [name, target] of Object.entries({ webppo: join(consumer, 'node_modules/webppo'), ...links })) {
    mkdirSync(join(dir, 'node_modules', name, '..'), { recursive: true });
    symlinkSync(target, join(dir, 'node_modules', name));
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the tarball', () => {
  it('holds what users need and nothing else', () => {
    const listing = execFileSync('tar', ['-tzf', packedTarball(consumer)], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    expect(listing).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/inference.js', 'dist/bin.js', 'dist/esm-only.cjs', 'dist/webppo.wasm', 'dist/worker.js']));
    const unexpected = listing.filter((f) => !/^(package\.json|README\.md|LICENSE|dist\/.+\.(js|d\.ts|cjs|wasm))$/.test(f));
    expect(unexpected).toEqual([]);
    expect(readFileSync(join(consumer, 'node_modules/webppo/LICENSE'), 'utf8')).toContain('Copyright (c) 2026 webppo contributors');
    const pkg = JSON.parse(readFileSync(join(consumer, 'node_modules/webppo/package.json'), 'utf8'));
    // protobufjs encodes ONNX exports; only exportOnnx() loads it (dynamic import), so nothing else pays for it.
    expect(pkg.dependencies ?? {}).toEqual({ protobufjs: expect.any(String) });
    expect(pkg.optionalDependencies).toBeUndefined();
    expect(pkg.peerDependenciesMeta.webgpu.optional).toBe(true);
  });
});

describe('the shipped declarations', () => {
  it('import only files the tarball ships', () => {
    const root = join(consumer, 'node_modules/webppo');
    const listing = execFileSync('tar', ['-tzf', packedTarball(consumer)], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    const declarations = listing.filter((f) => f.endsWith('.d.ts'));
    expect(declarations.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const file of declarations) {
      // Comments (TSDoc @example blocks import 'webppo' as users do) are not imports.
      const text = readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        if (!specifier.startsWith('.')) { missing.push(`${file}: ${specifier} (not a relative import)`); continue; }
        const target = join(dirname(file), specifier).replace(/\.js$/, '.d.ts');
        if (!listing.includes(target)) missing.push(`${file}: ${specifier}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('Node ESM', () => {
  it("imports by name; 'auto' without the optional webgpu package trains on the CPU without a word on stderr; plays via webppo/inference", () => {
    const result = node(consumer, `
      import { Agent, init, makeEnv, train, vectorize } from 'webppo';
      import { loadPolicy } from 'webppo/inference';
      await init();
      const env = () => makeEnv('CartPole-v1');
      const agent = await Agent.create({ observationSpace: env().observationSpace, actionSpace: env().actionSpace, numAgents: 4, backend: 'auto', seed: 1, ppo: { numSteps: 32 } });
      const result = await train(agent, vectorize(env, 4), { totalSteps: 256 });
      const policy = await loadPolicy(await agent.save());
      console.log(JSON.stringify({ backend: agent.backend, updates: result.updates, steps: result.steps, actions: policy.predict(new Float32Array(16)).length }));
      agent.dispose();`);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe("webppo: backend 'auto' chose the WASM CPU backend (no WebGPU adapter)");
    expect(JSON.parse(lines.at(-1)!)).toEqual({ backend: 'cpu', updates: 2, steps: 256, actions: 4 });
  });

  it('require() says the package is ESM-only', () => {
    const result = spawnSync(process.execPath, ['-e', "require('webppo')"], { cwd: consumer, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/webppo is ESM-only and cannot be require\(\)d\. Use `import \{ init, Agent \} from 'webppo'`/);
  });
});

describe('the webppo bin', () => {
  it('npx webppo --help prints usage and --version the version', () => {
    const help = spawnSync('npx', ['--offline', '--no-install', 'webppo', '--help'], { cwd: consumer, encoding: 'utf8', timeout: 60_000 });
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^webppo: self-training PPO agents\n\nUsage:\n {2}webppo train <env>/);
    expect(help.stdout).toMatch(/Exit codes:/);
    const bin = spawnSync(join(consumer, 'node_modules/.bin/webppo'), ['--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(bin.stdout).toBe(`${version}\n`);
    expect(bin.status).toBe(0);
  });

  it("runs under Deno, and Deno imports the installed package ('auto' probes Deno's WebGPU quietly)", () => {
    // `deno run npm:webppo` would fetch from the registry; offline, Deno resolves the same installed package
    // through a node_modules directory ("nodeModulesDir": "manual") and bare `webppo` specifiers.
    const deno = join(REPO, 'node_modules/.bin/deno');
    const dir = project({}, {
      'package.json': JSON.stringify({ type: 'module', dependencies: { webppo: '*' } }),
      'deno.json': JSON.stringify({ nodeModulesDir: 'manual' }),
      'main.ts': `import { Agent, init, makeEnv, train, vectorize } from 'webppo';
        await init();
        const env = () => makeEnv('CartPole-v1');
        const agent = await Agent.create({ observationSpace: env().observationSpace, actionSpace: env().actionSpace, numAgents: 4, backend: 'auto', seed: 1, ppo: { numSteps: 32 } });
        const result = await train(agent, vectorize(env, 4), { totalSteps: 256 });
        console.log(JSON.stringify({ updates: result.updates }));
        agent.dispose();`,
    });
    // As on a headless server: no XDG_RUNTIME_DIR (Linux Vulkan drivers complain without it) and the system's
    // Vulkan drivers rather than the test suite's SwiftShader.
    const { XDG_RUNTIME_DIR: _xdg, VK_ICD_FILENAMES: _icd, ...inherited } = process.env;
    const env = { ...inherited, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
    const trained = spawnSync(deno, ['run', '-A', 'main.ts'], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
    expect(trained.stderr).toBe('');
    expect(JSON.parse(trained.stdout.trim().split('\n').at(-1)!)).toEqual({ updates: 2 });
    const cli = spawnSync(deno, ['run', '-A', 'node_modules/webppo/dist/bin.js', '--version'], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
    expect(cli.stdout).toBe(`${version}\n`);
  }, 120_000);
});

describe('the published types', () => {
  const main = `import { Agent, Box, Discrete, init, setLogLevel, train, makeEnv, type UpdateStats, type GPUDeviceLike } from 'webppo';
import { loadPolicy, type InferencePolicy } from 'webppo/inference';
await init();
setLogLevel('silent');
const agent = await Agent.create({ observationSpace: Box(4), actionSpace: Discrete(2), backend: 'cpu', logLevel: 'warn' });
agent.on('update', (e) => { const s: UpdateStats = e.stats; void s; });
await train(agent, () => makeEnv('CartPole-v1'), { totalSteps: 128 });
const policy: InferencePolicy = await loadPolicy(await agent.save());
const actions: Int32Array | Float32Array = policy.predict(new Float32Array(4));
const device: GPUDeviceLike | undefined = undefined;
export { actions, device };
`;
  // Without WebGPU types, a device is an opaque object; with them, it is the real GPUDevice.
  const withoutWebGPU = `import type { GPUDeviceLike } from 'webppo';\nconst opaque: object extends GPUDeviceLike ? true : false = true;\nexport { opaque };\n`;
  const withWebGPU = `import type { GPUDeviceLike } from 'webppo';\ndeclare const device: GPUDevice;\nconst like: GPUDeviceLike = device;\nconst back: GPUDevice = like;\nexport { back };\n`;
  const resolutions = ['bundler', 'node16', 'nodenext'] as const;

  it('compile under strict without skipLibCheck: Node projects with no WebGPU types (bundler, node16, nodenext)', () => {
    const dir = project({ '@types/node': join(REPO, 'node_modules/@types/node') }, {
      'package.json': JSON.stringify({ type: 'module' }), 'main.ts': main, 'types.ts': withoutWebGPU,
    });
    for (const moduleResolution of resolutions) {
      const variant: Variant = { moduleResolution, lib: ['es2022'], types: ['node'] };
      expect(typecheck(dir, ['main.ts', 'types.ts'], variant), moduleResolution).toEqual([]);
    }
  });

  it('compile under strict without skipLibCheck: projects with @webgpu/types (bundler, node16, nodenext)', () => {
    const dir = project({ '@webgpu/types': join(REPO, 'node_modules/@webgpu/types') }, {
      'package.json': JSON.stringify({ type: 'module' }), 'main.ts': main, 'types.ts': withWebGPU,
    });
    for (const moduleResolution of resolutions) {
      const variant: Variant = { moduleResolution, lib: ['es2022', 'dom'], types: ['@webgpu/types'] };
      // @webgpu/types 0.1.x and TypeScript 6's lib.dom both declare WebGPU and disagree with each other; those
      // diagnostics are between the two and are left out. Nothing may point at webppo or the consumer's code.
      const ours = typecheck(dir, ['main.ts', 'types.ts'], variant).filter((d) => !/node_modules[\\/](@webgpu[\\/]types|typescript)[\\/]|^(?!.*node_modules)lib\./.test(d));
      expect(ours, moduleResolution).toEqual([]);
    }
  });
});
