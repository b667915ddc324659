// Real Chromium against the built package and the demos (the arena, its hunters and prey, the duel), served as
// `npm run demo` serves them. One browser launch for the whole file; each test opens its own page.
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { buildExamples, collectErrors, disableWebGPU, REPO_ROOT } from './chromium.js';
import { servedChromium } from './served.js';

const ARTIFACTS = `${REPO_ROOT}test-results/`;

interface DemoState {
  ready: boolean; running: boolean; steps: number; updates: number; episodes: number; backend: string; inWorker: boolean;
  returns: number[]; losses: { loss_objective: number; loss_critic: number; entropy: number }[]; errors: string[];
}

const served = servedChromium(() => {
  buildExamples();
  mkdirSync(ARTIFACTS, { recursive: true });
});

const demo = (query: string) => `${served.url}build/examples/web/?${query}`;
const state = (page: Page) => page.evaluate(() => (globalThis as unknown as { webppoDemo: { state: DemoState } }).webppoDemo.state);
async function waitForUpdates(page: Page, updates: number, timeout = 60_000): Promise<DemoState> {
  await page.waitForFunction((n) => ((globalThis as unknown as { webppoDemo?: { state: DemoState } }).webppoDemo?.state.updates ?? 0) >= n
    || ((globalThis as unknown as { webppoDemo?: { state: DemoState } }).webppoDemo?.state.errors.length ?? 0) > 0, updates, { timeout, polling: 100 });
  const s = await state(page);
  expect(s.errors).toEqual([]);
  return s;
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('the built package in Chromium', () => {
  it('loads, is crossOriginIsolated, and finds WebGPU on SwiftShader', async () => {
    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${served.url}test/browser/package.html`);
    const result = await page.evaluate(() => (window as unknown as { packageCheck: Promise<unknown> }).packageCheck);
    expect(result).toEqual({ runtime: 'browser', isolated: true, adapter: { vendor: 'google', architecture: 'swiftshader' } });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the demo game', () => {
  it('trains on the WebGPU backend in a Web Worker (SwiftShader; a small network keeps it quick)', async () => {
    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(demo('backend=webgpu&agents=16&steps=8&hidden=16&speed=8'));
    // SwiftShader compiles the training pipelines before the first update: tens of seconds on a busy machine.
    const s = await waitForUpdates(page, 3, 180_000);
    expect(s.backend).toBe('webgpu');
    expect(s.inWorker).toBe(true);
    expect(await page.textContent('#backend')).toBe('WebGPU');
    expect(await page.textContent('#where')).toBe('a Web Worker');
    expect(s.losses.length).toBeGreaterThanOrEqual(3);
    for (const loss of s.losses) for (const v of Object.values(loss)) expect(Number.isFinite(v)).toBe(true);
    // Entropy falls from its maximum (log 5) as the policy sharpens: the parameters really change.
    expect(s.losses.at(-1)!.entropy).toBeLessThan(Math.log(5));
    expect(errors).toEqual([]);
    await page.close();
  }, 200_000);

  it('trains on the WASM backend in the page with WebGPU disabled, and the mean return rises', async () => {
    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await disableWebGPU(page);
    // In the page, so that 'auto' decides where WebGPU is hidden (a worker has its own navigator).
    await page.goto(demo('backend=auto&speed=32&worker=0'));
    const s = await waitForUpdates(page, 40);
    expect(s.backend).toBe('cpu');
    expect(await page.textContent('#backend')).toBe('WASM (CPU)');
    // Mean of the latest 32 episodes, after each update: random play earns about 0, a trained agent several.
    expect(s.returns.length).toBeGreaterThan(20);
    expect(mean(s.returns.slice(-5))).toBeGreaterThan(mean(s.returns.slice(0, 5)) + 2);
    expect(await page.textContent('#fps')).toMatch(/^[1-9]\d* fps$/);
    await page.screenshot({ path: `${ARTIFACTS}demo.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('saves a checkpoint, and after a reload loads it and continues where it was', async () => {
    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(demo('backend=cpu&speed=32'));
    await waitForUpdates(page, 6);
    await page.click('#pause');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    const file = `${ARTIFACTS}arena.safetensors`;
    await download.saveAs(file);
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('saved'));
    const saved = await state(page);
    expect(download.suggestedFilename()).toBe(`webppo-arena-${saved.updates}.safetensors`);

    await page.reload();
    await page.waitForFunction(() => (globalThis as unknown as { webppoDemo?: { state: DemoState } }).webppoDemo?.state.ready);
    await page.click('#pause');
    await page.setInputFiles('#load', file);
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('loaded'));
    expect((await state(page)).updates).toBe(saved.updates);
    // Same parameters, optimizer, generators and counters: saving again gives the same bytes.
    const again = await page.evaluate(() => (globalThis as unknown as { webppoDemo: { saveBytes(): Promise<number[]> } }).webppoDemo.saveBytes());
    expect(Buffer.from(again).equals(readFileSync(file))).toBe(true);
    await page.click('#pause');
    const resumed = await waitForUpdates(page, saved.updates + 2);
    expect(resumed.updates).toBeGreaterThanOrEqual(saved.updates + 2);
    expect(errors).toEqual([]);
    await page.close();
  });
});

// The duel and hunters pages: poll the state each page exposes on window, with generous timeouts (the machine
// may be busy).
const TIMEOUT = 120_000;

interface DuelState {
  ready: boolean; steps: number; updates: number; games: number; backend: string; elo: number[];
  selfPlay?: { elo: number; learningTeam: number }; human: boolean; pendingHuman?: boolean; humanAction: number;
  baselineGames: number[]; errors: string[]; recording: boolean; recordedSteps: number; recordedGames: number;
  cloneAccuracy: number; learners: number;
}
interface DuelWindow { webppoDuel?: { state: DuelState; duels: { state: { leftY: number } }[] } }
interface HuntersState {
  ready: boolean; steps: number; catches: number; spawns: number; backend: string; preyAlive: number;
  updates: { hunter: number; prey: number }; returns: { hunter: number[]; prey: number[] }; errors: string[];
}
interface HuntersWindow { webppoHunters?: { state: HuntersState } }

const duelState = (page: Page) => page.evaluate(() => (globalThis as unknown as DuelWindow).webppoDuel!.state);
/** Waits until `done(state)` holds on the duel page, or the page reports an error (then fails on it). */
async function untilDuel(page: Page, done: string): Promise<DuelState> {
  await page.waitForFunction(`(() => { const s = globalThis.webppoDuel?.state; return s !== undefined && (s.errors.length > 0 || (${done})); })()`, undefined, { timeout: TIMEOUT, polling: 100 });
  const s = await duelState(page);
  expect(s.errors).toEqual([]);
  return s;
}

describe('the duel page', () => {
  it('learns by self-play: updates carry the ELO, games are rated, the baseline games are counted', async () => {
    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${served.url}build/examples/duel/?backend=cpu&worker=0&duels=4&steps=16&speed=16&swap=100`);
    const s = await untilDuel(page, 's.updates >= 3 && s.selfPlay && s.selfPlay.elo !== 1200 && s.baselineGames.length > 0');
    expect(s.backend).toBe('cpu');
    expect(s.elo.length).toBeGreaterThanOrEqual(3);
    expect(s.games).toBeGreaterThan(0);
    for (const r of s.baselineGames) expect([0, 0.5, 1]).toContain(r);
    expect(await page.textContent('#elo')).toMatch(/^\d+$/);
    expect(errors).toEqual([]);
    await page.close();
  }, TIMEOUT * 2);

  it('hands the left paddle to the keyboard: ↑ moves it up, S moves it down, and it can be given back', async () => {
    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${served.url}build/examples/duel/?backend=cpu&worker=0&duels=2&steps=16&speed=2`);
    await untilDuel(page, 's.ready && s.steps > 0');
    await page.click('#takeover');
    await untilDuel(page, 's.human');
    expect(await page.textContent('#control')).toMatch(/^you/);
    const leftY = () => page.evaluate(() => (globalThis as unknown as DuelWindow).webppoDuel!.duels[0].state.leftY);
    // Each key must move the paddle 0.1 its way. The policy may have left it near a wall, where the key towards
    // that wall cannot: the one away from the nearer wall goes first, and the other then has that room back.
    const moves = async (key: 'ArrowUp' | 's') => {
      const up = key === 'ArrowUp';
      await page.keyboard.down(key);
      await untilDuel(page, `s.humanAction === ${up ? 0 : 2}`);
      const from = await leftY();
      await page.waitForFunction(([y, sign]) => sign * ((globalThis as unknown as DuelWindow).webppoDuel!.duels[0].state.leftY - y) > 0.1, [from, up ? 1 : -1], { timeout: TIMEOUT, polling: 50 });
      await page.keyboard.up(key);
    };
    const first = (await leftY()) <= 0 ? 'ArrowUp' : 's';
    await moves(first);
    await moves(first === 'ArrowUp' ? 's' : 'ArrowUp');
    await untilDuel(page, 's.humanAction === 1');
    await page.click('#takeover');
    await untilDuel(page, '!s.human && s.pendingHuman === undefined');
    expect(await page.textContent('#control')).toBe('the policy');
    const action = (await duelState(page)).humanAction;
    await page.keyboard.down('ArrowUp');
    const steps = (await duelState(page)).steps;
    await untilDuel(page, `s.steps > ${steps + 10}`);
    expect((await duelState(page)).humanAction).toBe(action); // the keyboard no longer drives the paddle
    await page.keyboard.up('ArrowUp');
    expect(errors).toEqual([]);
    await page.close();
  }, TIMEOUT * 4);
  it('records rounds against the scripted side and starts a new learner cloned from them, which trains on', async () => {
    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${served.url}build/examples/duel/?backend=cpu&worker=0&duels=2&steps=16&speed=16`);
    await untilDuel(page, 's.ready && s.steps > 0');
    expect(await page.isDisabled('#clone')).toBe(true);
    await page.click('#record');
    await untilDuel(page, 's.recording && s.recordedSteps >= 300');
    await page.click('#record');
    const recorded = await untilDuel(page, '!s.recording');
    expect(await page.textContent('#recorded')).toMatch(/\d+ games, \d+ steps recorded/);
    await page.click('#clone');
    const s = await untilDuel(page, 's.learners === 2 && s.ready && s.updates >= 2');
    expect(s.recordedSteps).toBe(recorded.recordedSteps);
    // The script's moves are a function of what it sees: cloning them beats chance (1/3) by far.
    expect(s.cloneAccuracy).toBeGreaterThan(0.5);
    expect(await page.textContent('#status')).toMatch(/a new learner cloned \d+ recorded steps/);
    expect(errors).toEqual([]);
    await page.close();
  }, TIMEOUT * 3);
});

describe('the arena: hunters and prey', () => {
  it('trains both behaviours in a worker while caught prey leave their slots and respawn into free ones', async () => {
    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${served.url}build/examples/web/hunters.html?backend=cpu&speed=16&steps=16`);
    await page.waitForFunction(() => {
      const s = (globalThis as unknown as HuntersWindow).webppoHunters?.state;
      return s !== undefined && (s.errors.length > 0
        || (s.updates.hunter >= 2 && s.updates.prey >= 2 && s.catches > 0 && s.spawns > 0 && s.returns.prey.length > 0));
    }, undefined, { timeout: TIMEOUT, polling: 100 });
    const s = await page.evaluate(() => (globalThis as unknown as HuntersWindow).webppoHunters!.state);
    expect(s.errors).toEqual([]);
    expect(s.backend).toBe('cpu');
    expect(s.preyAlive).toBeGreaterThanOrEqual(0);
    expect(s.preyAlive).toBeLessThanOrEqual(8);
    for (const r of [...s.returns.hunter, ...s.returns.prey]) expect(Number.isFinite(r)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, TIMEOUT * 2);
});
