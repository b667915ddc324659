// Every ```ts / ```js block of README.md and docs/*.md runs here, against the source (the `webppo` alias of
// test/vitest.config.mjs), so no example can rot; so do the ```ts blocks of the TSDoc `@example`s in src/, and
// ```python blocks where a Python with torch is installed. A block may be preceded by an invisible marker:
//
//   <!-- test: needs agent, observations -->         a fragment: these variables come from FAKE_GAME below
//   <!-- test: shrink 100_000 => 4_096 -->            run with a smaller size (text replaced before running)
//   <!-- test: no-run: the reason -->                 not run; the reason is printed as the skipped test's name
//
// A line `console.log(x); // true` is also checked: the block fails unless x is true.
// Directives combine with `;` (no-run comes last: the rest of the marker is its reason). Blocks run one by one, each as its own ES module.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, makeEnv } from '../../src/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scratch = `${root}test/docs/.blocks/`;

/**
 * The fake game fragments run in: 16 agents observing Box(8) and choosing among Discrete(4), the sizes the
 * README's game-loop example uses (`fake` is the webppo module). Each entry defines one variable; `requestAnimationFrame` runs a bounded
 * number of frames, and the block waits for them (`framesDone`).
 */
const FAKE_GAME: Record<string, string> = {
  agent: "const agent = await fake.Agent.create({ observationSpace: fake.Box(8), actionSpace: fake.Discrete(4), numAgents: 16, backend: 'cpu', ppo: { numSteps: 8 } });",
  observations: 'const observations = Float32Array.from({ length: 16 * 8 }, (_, i) => Math.sin(i));',
  masks: 'const masks = new Uint8Array(16 * 4).fill(1);',
  rewards: 'const rewards = Float32Array.from({ length: 16 }, (_, i) => (i % 3) - 1);',
  terminated: 'const terminated = new Uint8Array(16);',
  truncated: 'const truncated = new Uint8Array(16);',
  finalObservations: 'const finalObservations = new Float32Array(16 * 8);',
  controller: 'const controller = new AbortController();',
  Agent: 'const { Agent } = fake;',
  checkpoint: "const checkpoint = await (await fake.Agent.create({ observationSpace: fake.Box(8), actionSpace: fake.Discrete(4), numAgents: 16, backend: 'cpu' })).save();",
  requestAnimationFrame: `let framesLeft = 40, framesDone!: () => void;
const allFrames = new Promise<void>((resolve) => { framesDone = resolve; });
const requestAnimationFrame = (frame: (now: number) => void) => { if (framesLeft-- > 0) setTimeout(() => frame(performance.now()), 0); else framesDone(); return 0; };`,
};

interface Block { file: string; line: number; lang: string; code: string; needs: string[]; noRun?: string }

/** The runnable blocks of one Markdown file, with the directives of the marker before each. */
function extractBlocks(file: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w+)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code block`);
    const lang = fence[1];
    let code = lines.slice(i + 1, end).join('\n');
    const marker = /^<!--\s*test:(.*?)-->\s*$/.exec(lines[i - 1] ?? '') ?? /^<!--\s*test:(.*?)-->\s*$/.exec(lines[i - 2] ?? '');
    const block: Block = { file, line: i + 1, lang, code, needs: [] };
    // `no-run:` takes the rest of the marker as its reason (which may contain `;`).
    const [directives, reason] = (marker?.[1] ?? '').split(/no-run:/);
    if (reason !== undefined) block.noRun = reason.trim();
    for (const directive of directives.split(';').map((d) => d.trim()).filter(Boolean)) {
      const [verb, ...rest] = directive.split(/\s+/);
      const arg = rest.join(' ');
      if (verb === 'needs') block.needs = arg.split(',').map((n) => n.trim());
      else if (verb === 'shrink') {
        const [from, to] = arg.split('=>').map((s) => s.trim());
        if (!code.includes(from)) throw new Error(`${file}:${i + 1}: shrink: ${from} is not in the block`);
        code = code.split(from).join(to);
      } else throw new Error(`${file}:${i + 1}: unknown directive ${JSON.stringify(directive)}`);
    }
    for (const name of block.needs) if (!(name in FAKE_GAME)) throw new Error(`${file}:${i + 1}: no fake-game definition for ${name}`);
    if (block.noRun !== undefined && block.noRun.length < 10) throw new Error(`${file}:${i + 1}: no-run needs a reason`);
    // A claim written as `console.log(x); // true` is checked, not only printed.
    block.code = code.replace(/^(\s*)console\.log\((.*)\);\s*\/\/ true\b.*$/gm, (line, indent: string, expr: string) =>
      `${line}\n${indent}if ((${expr}) !== true) throw new Error(${JSON.stringify(`${file}: expected true: ${expr}`)});`);
    if (['ts', 'js', 'typescript', 'javascript', 'python'].includes(lang)) blocks.push(block);
    i = end;
  }
  return blocks;
}

/** The `@example` blocks of the TSDoc comments in src/, as Markdown (the ` * ` margins removed). */
function tsdocMarkdown(file: string): string {
  const text = readFileSync(`${root}${file}`, 'utf8');
  // Keep line numbers: every line stays, only comment margins are stripped.
  return text.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n');
}
const sources = (dir: string): string[] => readdirSync(`${root}${dir}`, { withFileTypes: true }).flatMap((entry) =>
  entry.isDirectory() ? sources(`${dir}/${entry.name}`) : entry.name.endsWith('.ts') ? [`${dir}/${entry.name}`] : []);
const files = ['README.md', ...readdirSync(`${root}docs`).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const blocks = [
  ...files.flatMap((file) => extractBlocks(file, readFileSync(`${root}${file}`, 'utf8'))),
  ...sources('src').flatMap((file) => extractBlocks(file, tsdocMarkdown(file))),
];

/** A Python with PyTorch, for the PyTorch interop blocks; they are skipped (saying so) where there is none. */
const python = ['python3', 'python3.11', '/usr/bin/python3.11'].find((bin) => spawnSync(bin, ['-c', "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"], { stdio: 'ignore' }).status === 0,
);

/** Runs a Python block in a folder holding `cartpole.safetensors`: a fresh CartPole-v1 agent with the defaults. */
async function runPython(block: Block): Promise<void> {
  const { observationSpace, actionSpace } = makeEnv('CartPole-v1');
  const agent = await Agent.create({ observationSpace, actionSpace, backend: 'cpu' });
  writeFileSync(`${scratch}cartpole.safetensors`, await agent.save());
  agent.dispose();
  const run = spawnSync(python!, ['-'], { cwd: scratch, input: block.code, encoding: 'utf8', env: { ...process.env, PYTHONPATH: `${root}python` } });
  expect(run.status, `${block.file}:${block.line} failed:\n${run.stderr}`).toBe(0);
}

/** The module a block runs as: its fake-game prelude, the block, then a wait for its frames. */
function moduleSource(block: Block): string {
  const prelude = block.needs.length === 0 ? '' : ["import * as fake from 'webppo';", ...block.needs.map((name) => FAKE_GAME[name])].join('\n');
  const epilogue = block.needs.includes('requestAnimationFrame') ? '\nawait allFrames;' : '';
  return `${prelude}\n${block.code}${epilogue}\nexport {};\n`;
}

describe('code blocks of the README, docs/ and the TSDoc examples', () => {
  mkdirSync(scratch, { recursive: true });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('finds the blocks (the guides exist and have code)', () => {
    expect(blocks.length).toBeGreaterThan(10);
    for (const guide of ['game-loop', 'headless', 'workers', 'ppo-options', 'checkpoints']) {
      expect(files, `docs/${guide}.md`).toContain(`docs/${guide}.md`);
    }
  });

  for (const block of blocks) {
    const name = `${block.file}:${block.line}`;
    if (block.noRun !== undefined) {
      it.skip(`${name} (not run: ${block.noRun})`, () => {});
      continue;
    }
    if (block.lang === 'python') {
      it.skipIf(!python)(`${name} (Python${python ? '' : ': skipped, no Python with torch here'})`, () => runPython(block));
      continue;
    }
    it(name, async () => {
      const path = `${scratch}${block.file.replace(/\W/g, '_')}_${block.line}.${block.lang.startsWith('j') ? 'js' : 'ts'}`;
      writeFileSync(path, moduleSource(block));
      await import(/* @vite-ignore */ path);
    });
  }
});

describe('the block extractor', () => {
  it('applies markers and rejects unknown ones', () => {
    const md = '<!-- test: needs agent; shrink 100 => 4 -->\n```ts\nrun(100);\n```\n\n```sh\nls\n```\n<!-- test: no-run: needs a second file -->\n```js\nx();\n```\n';
    const found = extractBlocks('x.md', md);
    expect(found.map((b) => [b.line, b.code, b.needs, b.noRun])).toEqual([
      [2, 'run(4);', ['agent'], undefined],
      [10, 'x();', [], 'needs a second file'],
    ]);
    const [claim] = extractBlocks('x.md', '```ts\nconsole.log(1 > 2); // true\n```\n');
    expect(claim.code).toContain("if ((1 > 2) !== true) throw");
    expect(() => extractBlocks('x.md', '<!-- test: nope -->\n```ts\n```\n')).toThrow(/unknown directive/);
    expect(() => extractBlocks('x.md', '<!-- test: needs nothingKnown -->\n```ts\n```\n')).toThrow(/no fake-game definition/);
  });
});
