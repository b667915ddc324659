import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.webppo);
const webppo = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'node_modules/rollup/dist/bin/rollup'), '-c', '--silent'], { cwd: root, stdio: 'pipe', timeout: 120_000 });
}, 150_000);

describe('webppo CLI (built bin)', () => {
  it('runs through a symlink named anything (node_modules/.bin, global installs) and prints --version', () => {
    const link = join(mkdtempSync(join(tmpdir(), 'webppo-bin-')), 'webppo');
    symlinkSync(bin, link);
    const version = spawnSync(process.execPath, [link, '--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    expect(version.status).toBe(0);
    const help = spawnSync(link, ['--help'], { encoding: 'utf8', timeout: 60_000 }); // via the shebang
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^webppo: self-training PPO agents/);
  });

  it('importing the CLI module runs nothing', () => {
    const imported = spawnSync(process.execPath, ['--input-type=module', '-e', `const cli = await import(${JSON.stringify(join(root, 'dist/cli.js'))}); console.log(typeof cli.main);`], { encoding: 'utf8', timeout: 60_000 });
    expect(imported.stdout).toBe('function\n');
    expect(imported.stderr).toBe('');
  });

  it('--help lists the commands and envs', () => {
    const out = webppo('--help');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/webppo train <env> \[--steps N\] \[--seed S\] \[--backend auto\|cpu\|webgpu\] \[--out file\]/);
    expect(out.stdout).toMatch(/webppo eval <checkpoint> \[--episodes N\]/);
    expect(out.stdout).toMatch(/CartPole-v1, Pendulum-v1/);
  });

  it('rejects unknown commands, envs and options with usage', () => {
    expect(webppo('fly').status).toBe(2);
    const env = webppo('train', 'Pong-v5');
    expect(env.status).toBe(2);
    expect(env.stderr).toMatch(/unknown env "Pong-v5"/);
    expect(webppo('train', 'CartPole-v1', '--steps', 'many').stderr).toMatch(/--steps: expected an integer >= 1, got "many"/);
  });

  it('trains a tiny run, saves a checkpoint, and evaluates it', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'webppo-')), 'cp.safetensors');
    const run = webppo('train', 'CartPole-v1', '--steps', '1024', '--seed', '2', '--backend', 'cpu', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/training CartPole-v1 for 1024 steps on the cpu backend/);
    expect(run.stdout).toMatch(/done after 1024 steps, 2 updates/);
    expect(run.stdout).toMatch(/webppo: +\d+% 1024\/1024 steps \| \d+ SPS/); // plain progress lines when not a TTY
    expect(existsSync(out)).toBe(true);
    const evaluated = webppo('eval', out, '--episodes', '3');
    expect(evaluated.status).toBe(0);
    expect(evaluated.stdout).toMatch(/CartPole-v1: deterministic mean return over 3 episodes: \d+/);
    const missing = webppo('eval', join(tmpdir(), 'no-such-file.safetensors'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no-such-file/);
  });
});
