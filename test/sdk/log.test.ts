// Logging: one Logger filtered by a level, global or per agent; nothing in src/ writes to the console itself.
import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, Box, Discrete, LOG_LEVELS, type Logger, type LogLevel, setLogger, setLogLevel } from '../../src/index.js';
import { createLog } from '../../src/log.js';

function recorder(): Logger & { lines: [string, string][] } {
  const lines: [string, string][] = [];
  const at = (level: string) => (message: string) => { lines.push([level, message]); };
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

afterEach(() => {
  setLogger(undefined);
  setLogLevel('silent');
});

describe('log levels', () => {
  it('each level lets through itself and everything more severe', () => {
    for (const level of LOG_LEVELS) {
      const sink = recorder();
      const log = createLog({ logLevel: level, logger: sink });
      log.error('e'); log.warn('w'); log.info('i'); log.debug('d');
      const expected = (['error', 'warn', 'info', 'debug'] as const).filter((l) => LOG_LEVELS.indexOf(l) <= LOG_LEVELS.indexOf(level));
      expect(sink.lines.map(([l]) => l), level).toEqual(expected);
    }
  });

  it('per-agent settings win over the global ones, which are read at each call', () => {
    const global = recorder();
    setLogger(global);
    const own = recorder();
    const quiet = createLog({ logLevel: 'error' });
    const redirected = createLog({ logger: own });
    setLogLevel('debug');
    quiet.info('dropped'); quiet.error('kept');
    redirected.debug('to own');
    expect(global.lines).toEqual([['error', 'kept']]);
    expect(own.lines).toEqual([['debug', 'to own']]);
  });

  it('rejects unknown levels and loggers, naming the field', async () => {
    expect(() => setLogLevel('loud' as LogLevel)).toThrow(/setLogLevel: expected one of 'silent' \| 'error'/);
    expect(() => setLogger({} as Logger)).toThrow(/setLogger: expected an object with error, warn, info and debug methods/);
    const options = { observationSpace: Box(2), actionSpace: Discrete(2), backend: 'cpu' as const };
    await expect(Agent.create({ ...options, logLevel: 'loud' as LogLevel })).rejects.toThrow(/^logLevel: expected one of/);
    await expect(Agent.create({ ...options, logger: { info() {} } as unknown as Logger })).rejects.toThrow(/^logger: expected an object/);
    const agent = await Agent.create({ ...options, logLevel: 'debug', logger: recorder() });
    expect(agent.options.logLevel).toBe('debug');
    const saved = await agent.save(); // logger and level are not part of the checkpoint
    const loaded = await Agent.load(saved, { backend: 'cpu' });
    expect(loaded.options.logLevel).toBeUndefined();
    agent.dispose(); loaded.dispose();
  });

  it("backend 'auto' reports its choice through the logger, once", async () => {
    const sink = recorder();
    setLogger(sink);
    setLogLevel('info');
    const a = await Agent.create({ observationSpace: Box(2), actionSpace: Discrete(2), backend: 'auto' });
    const b = await Agent.create({ observationSpace: Box(2), actionSpace: Discrete(2), backend: 'auto' });
    expect(sink.lines).toHaveLength(1);
    expect(sink.lines[0]).toEqual(['info', expect.stringMatching(/^webppo: backend 'auto' chose /)]);
    a.dispose(); b.dispose();
  });
});

describe('src/', () => {
  it('never calls console directly (every message goes through src/log.ts)', () => {
    const root = fileURLToPath(new URL('../../src/', import.meta.url));
    const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
    const offenders = files(root).filter((f) => f.endsWith('.ts') && !f.endsWith('log.ts'))
      // Code only: TSDoc @example blocks may print, as users' code does.
      .filter((f) => /\bconsole\s*\./.test(readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')));
    expect(offenders).toEqual([]);
  });
});
