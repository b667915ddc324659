// The CLI in process (src/cli): every PPOConfig field as a flag, --config, validation before any work,
// one prefix, exit codes. The built bin is exercised in cli.test.ts and on the packed tarball (test/package).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, DEFAULT_PPO_CONFIG, resolvePPOConfig } from '../../src/index.js';
import { parseArgs } from '../../src/cli/args.js';
import { COMMANDS, EXIT, main, type Io } from '../../src/cli/index.js';
import { prefixed } from '../../src/cli/errors.js';
import { PPO_FLAGS, ppoFromFlags } from '../../src/cli/ppo-flags.js';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), signal: new AbortController().signal };
}

async function run(...argv: string[]) {
  const io = capture();
  const code = await main(argv, io);
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'webppo-cli-'));

/** PPOConfig leaves as [path, default]: the list the flags must cover. */
function leaves(object: object, prefix: string[] = []): [string[], unknown][] {
  return Object.entries(object).flatMap(([k, v]) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? leaves(v, [...prefix, k]) : [[[...prefix, k], v] as [string[], unknown]]));
}

describe('PPO flags', () => {
  it('cover every PPOConfig field, kebab-cased, nested ones prefixed by their group', () => {
    const paths = [...PPO_FLAGS.values()].map((f) => f.path.join('.')).sort();
    expect(paths).toEqual(leaves(DEFAULT_PPO_CONFIG).map(([p]) => p.join('.')).sort());
    for (const name of ['learning-rate', 'num-steps', 'vtrace-rho-clip', 'vtrace-c-clip', 'prioritized-alpha', 'prioritized-over', 'target-kl']) {
      expect(PPO_FLAGS.has(name), name).toBe(true);
    }
    for (const name of PPO_FLAGS.keys()) expect(COMMANDS.train.flags[name], name).toBeDefined();
  });

  it('given each field its default as text, reproduce the default config', () => {
    const flags = new Map(leaves(DEFAULT_PPO_CONFIG).map(([path, value]) => [path.join('-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), String(value)]));
    expect(resolvePPOConfig(ppoFromFlags(flags))).toEqual(resolvePPOConfig({}));
  });

  it('parse numbers, booleans, null and [low, high] pairs into the config', () => {
    const args = parseArgs(['--learning-rate', '3e-4', '--clip-epsilon', '0.1,0.3', '--target-kl', 'null', '--normalize-rewards', '--no-anneal-learning-rate', '--clip-value=0.5', '--prioritized-over=segments', '--vtrace-rho-clip', '2'], COMMANDS.train.flags);
    expect(ppoFromFlags(args.flags)).toEqual({
      learningRate: 3e-4, clipEpsilon: [0.1, 0.3], targetKl: null, normalizeRewards: true, annealLearningRate: false, clipValue: 0.5,
      prioritized: { over: 'segments' }, vtrace: { rhoClip: 2 },
    });
  });

  it('name the flag, the expected and the given value for any bad value', () => {
    fc.assert(fc.property(fc.constantFrom(...PPO_FLAGS.keys()), fc.constantFrom('abc', '-5', 'NaN', '1,2,3'), (flag, text) => {
      let message: string | undefined;
      try {
        ppoFromFlags(new Map([[flag, text]]));
      } catch (error) {
        message = (error as Error).message;
      }
      // Some texts are valid for some fields (-5 nowhere, but 'abc' is not a number): when rejected, say so well.
      if (message !== undefined) expect(message).toMatch(new RegExp(`^--${flag}: expected .+, got `));
    }), { numRuns: 200 });
    expect(() => ppoFromFlags(new Map([['num-steps', '0']]))).toThrow('--num-steps: expected an integer >= 1, got "0"');
  });
});

describe('webppo main()', () => {
  it('--version prints the package version; no arguments is a usage error', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(await run('--version')).toEqual({ code: EXIT.ok, stdout: pkg.version, stderr: '' });
    const bare = await run();
    expect(bare.code).toBe(EXIT.usage);
    expect(bare.stderr).toMatch(/Exit codes:/);
  });

  it('rejects bad arguments with exit 2 before any work, with exactly one prefix', async () => {
    const dir = tmp();
    const cases: [string[], RegExp][] = [
      [['train', 'CartPole-v1', '--steps', '0'], /--steps: expected an integer >= 1, got "0"/],
      [['train', 'CartPole-v1', '--out', '/nonexistent/dir/x.safetensors'], /--out: the directory \/nonexistent\/dir does not exist/],
      [['train', 'CartPole-v1', '--out', dir], /--out: .* is a directory/],
      [['train', 'CartPole-v1', '--lr', '3'], /unknown option --lr/],
      [['train', 'CartPole-v1', 'extra'], /unexpected argument "extra"/],
      [['train', 'CartPole-v1', '--config', join(dir, 'missing.json')], /--config: cannot read/],
      [['train', 'CartPole-v1', '--num-minibatches', '100000'], /--num-minibatches \(ppo\.numMinibatches\): expected at most numSteps x numAgents = 512, got 100000/],
      [['train', 'CartPole-v1', '--backend', 'tpu'], /--backend: expected one of auto, cpu, webgpu, got "tpu"/],
      [['eval', 'x.safetensors', '--env', 'Pong-v5'], /--env: unknown env "Pong-v5"/],
      [['fly'], /unknown command "fly"/],
    ];
    for (const [argv, message] of cases) {
      const result = await run(...argv);
      expect(result.code, argv.join(' ')).toBe(EXIT.usage);
      expect(result.stderr, argv.join(' ')).toMatch(message);
      expect(result.stderr.match(/webppo: /g)).toHaveLength(1);
      expect(result.stdout).toBe('');
    }
    expect(readdirSync(dir)).toEqual([]); // no pending file was left behind
  });

  it('prefixes every message exactly once', () => {
    fc.assert(fc.property(fc.nat(3), fc.string(), (n, text) => {
      const message = prefixed('webppo: '.repeat(n) + text);
      expect(message.startsWith('webppo: ')).toBe(true);
      expect(message.slice('webppo: '.length).startsWith('webppo: ')).toBe(false);
    }));
  });

  it('trains with --config and flags layered over the preset, saves atomically, and eval checks the env', async () => {
    const dir = tmp();
    const config = join(dir, 'ppo.json');
    writeFileSync(config, JSON.stringify({ numSteps: 64, learningRate: 5e-4, vtrace: { cClip: 0.9 } }));
    const out = join(dir, 'cp.safetensors');
    const trained = await run('train', 'CartPole-v1', '--steps', '512', '--backend', 'cpu', '--quiet', '--config', config, '--num-minibatches', '2', '--vtrace-rho-clip', '1.5', '--out', out);
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(EXIT.ok);
    expect(trained.stdout).toMatch(/done after 512 steps, 2 updates/);
    expect(readdirSync(dir).sort()).toEqual(['cp.safetensors', 'ppo.json']);
    const agent = await Agent.load(readFileSync(out), { backend: 'cpu' });
    expect(agent.options.ppo).toMatchObject({ numSteps: 64, learningRate: 5e-4, numMinibatches: 2, vtrace: { rhoClip: 1.5, cClip: 0.9 }, numEpochs: 4 });
    agent.dispose();

    const wrong = await run('eval', out, '--env', 'Pendulum-v1');
    expect(wrong.code).toBe(EXIT.usage);
    expect(wrong.stderr).toMatch(/^webppo: --env Pendulum-v1: this checkpoint was trained on CartPole-v1, not Pendulum-v1/);
    const right = await run('eval', out, '--episodes', '2');
    expect(right.code).toBe(EXIT.ok);
    expect(right.stdout).toMatch(/CartPole-v1: deterministic mean return over 2 episodes/);
  });

  it('a runtime failure is exit 1 with one prefix, and a bad --config field names the file and field', async () => {
    const dir = tmp();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ gamma: 2 }));
    const config = await run('train', 'CartPole-v1', '--config', bad);
    expect(config.code).toBe(EXIT.usage);
    expect(config.stderr).toContain(`--config ${bad}: ppo.gamma: expected a finite number in [0, 1], got 2`);
    const garbage = join(dir, 'garbage.safetensors');
    writeFileSync(garbage, 'not a checkpoint');
    const failed = await run('eval', garbage);
    expect(failed.code).toBe(EXIT.failure);
    expect(failed.stderr.match(/webppo: /g)).toHaveLength(1);
    expect(existsSync(join(dir, 'bad.json'))).toBe(true);
  });
});
