// ELO against values worked out by hand from the published formula: E = 1 / (1 + 10^((Rb - Ra) / 400)),
// change = K (S - E); and SelfPlay.reportResult applying it to the learner and the opponent snapshot.
import { describe, expect, it } from 'vitest';
import { eloChange, expectedScore, resultScore } from '../../src/selfplay/elo.js';
import { resolveSelfPlayOptions } from '../../src/selfplay/options.js';
import { SelfPlay } from '../../src/selfplay/self-play.js';

describe('ELO', () => {
  it('expected scores: equal ratings 0.5, 200 points ahead 0.7597, 300 behind 0.1510', () => {
    expect(expectedScore(1200, 1200)).toBe(0.5);
    // 10^(-200/400) = 0.316227766..., 1 / 1.316227766... = 0.759746926...
    expect(expectedScore(1400, 1200)).toBeCloseTo(0.7597469266479578, 12);
    // 10^(300/400) = 5.623413252..., 1 / 6.623413252... = 0.150979557...
    expect(expectedScore(1000, 1300)).toBeCloseTo(0.15097955721132328, 12);
    // ML-Agents' ELO guide: 2100 against 1800 wins 85% of the time.
    expect(expectedScore(2100, 1800)).toBeCloseTo(0.85, 2);
    expect(expectedScore(1400, 1200) + expectedScore(1200, 1400)).toBeCloseTo(1, 15);
  });

  it('changes: K (S - E) for a win, a draw and a loss', () => {
    expect(resultScore('win')).toBe(1);
    expect(resultScore('draw')).toBe(0.5);
    expect(resultScore('loss')).toBe(0);
    // ML-Agents' ELO guide: two players at 1200, K = 16, A wins: 1208 and 1192.
    expect(eloChange(1200, 1200, 1, 16)).toBe(8);
    expect(eloChange(1400, 1200, 1, 16)).toBeCloseTo(16 * (1 - 0.7597469266479578), 12); // 3.8440...
    expect(eloChange(1400, 1200, 0, 16)).toBeCloseTo(-12.155950826367325, 12);
    expect(eloChange(2100, 1800, 0.5, 16)).toBeCloseTo(-5.5843270846188275, 12);
    expect(eloChange(1000, 1300, 1, 32)).toBeCloseTo(27.168654169237655, 12);
    expect(eloChange(1234, 1234, 0.5, 16)).toBe(0);
  });

  it('reportResult moves the learner by K (S - E) and the opponent snapshot by the opposite', () => {
    const sp = new SelfPlay({ eloK: 16 }, new Float32Array(4));
    expect(sp.elo).toBe(1200);
    expect(sp.opponent()).toMatchObject({ team: 1, snapshot: 0, elo: 1200 });
    expect(sp.reportResult('win')).toBe(8);
    expect(sp.elo).toBe(1208);
    expect(sp.opponent().elo).toBe(1192);
    expect(sp.snapshot(0).elo).toBe(1192);
    // 1208 against 1192: E = 1 / (1 + 10^(-16/400)) = 0.523021..., a loss moves the learner by -8.368...
    const e = 1 / (1 + 10 ** (-16 / 400));
    expect(sp.reportResult('loss')).toBeCloseTo(-16 * e, 12);
    expect(sp.elo + sp.snapshot(0).elo).toBeCloseTo(2400, 10); // zero-sum
    const [learner, opponent] = [sp.elo, sp.opponent().elo];
    expect(sp.reportResult('draw')).toBeCloseTo(16 * (0.5 - 1 / (1 + 10 ** ((opponent - learner) / 400))), 12);
    expect(sp.elo).toBeGreaterThan(learner); // the lower-rated side gains from a draw
  });

  it('a game against the latest policy leaves the rating as it is; eloK and initialElo are honoured', () => {
    const sp = new SelfPlay({ playAgainstLatestModelRatio: 1, swapSteps: 1, eloK: 32, initialElo: 1500 }, new Float32Array(2));
    sp.onTrainedSteps(2, Float32Array.of(1, 2));
    expect(sp.opponent()).toMatchObject({ snapshot: 'latest', elo: 1500 });
    expect(Array.from(sp.opponent().parameters)).toEqual([1, 2]);
    expect(sp.reportResult('win')).toBe(0);
    expect(sp.elo).toBe(1500);
    expect(sp.snapshot(0).elo).toBe(1500);
  });

  it('rejects a bad result or team and changes nothing', () => {
    const sp = new SelfPlay({ teams: 3 }, new Float32Array(2));
    expect(() => sp.reportResult('won' as 'win', 1)).toThrow(/^result: expected one of 'win' \| 'draw' \| 'loss', got "won"/);
    expect(() => sp.reportResult('win')).toThrow(/^team: expected an opponent team \(the game has 3 teams\), got undefined/);
    expect(() => sp.reportResult('win', 0)).toThrow(/^team: expected an opponent team \(team 0 is learning\), got 0/);
    expect(() => sp.reportResult('win', 3)).toThrow(/^team: expected an integer in \[0, 2\], got 3/);
    expect(sp.elo).toBe(1200);
    expect(sp.reportResult('win', 2)).toBe(8);
  });
});

describe('self-play options', () => {
  it("fills ML-Agents' defaults: teamChange follows saveSteps", () => {
    expect(resolveSelfPlayOptions(undefined)).toEqual({
      saveSteps: 20000, window: 10, swapSteps: 10000, teamChange: 100000, playAgainstLatestModelRatio: 0.5, initialElo: 1200, eloK: 16, teams: 2,
    });
    expect(resolveSelfPlayOptions({ saveSteps: 300 }).teamChange).toBe(1500);
    expect(resolveSelfPlayOptions({ saveSteps: 300, teamChange: 7 }).teamChange).toBe(7);
  });

  it('names the bad field with the expected and the actual value', () => {
    expect(() => resolveSelfPlayOptions({ saveStep: 5 } as never)).toThrow(/^selfPlay.saveStep: expected a known option \(saveSteps, window/);
    expect(() => resolveSelfPlayOptions({ window: 0 })).toThrow(/^selfPlay.window: expected an integer in \[1, 1024\], got 0/);
    expect(() => resolveSelfPlayOptions({ swapSteps: 2.5 })).toThrow(/^selfPlay.swapSteps: expected an integer >= 1, got 2.5/);
    expect(() => resolveSelfPlayOptions({ playAgainstLatestModelRatio: 1.5 })).toThrow(/^selfPlay.playAgainstLatestModelRatio: expected a finite number in \[0, 1\], got 1.5/);
    expect(() => resolveSelfPlayOptions({ initialElo: NaN })).toThrow(/^selfPlay.initialElo: expected a finite number/);
    expect(() => resolveSelfPlayOptions({ eloK: -1 })).toThrow(/^selfPlay.eloK: expected a finite number in \[0, 10000\], got -1/);
    expect(() => resolveSelfPlayOptions({ teams: 1 })).toThrow(/^selfPlay.teams: expected an integer in \[2, 64\], got 1/);
    expect(() => resolveSelfPlayOptions([] as never)).toThrow(/^selfPlay: expected an object, got an array/);
    expect(() => new SelfPlay({}, new Float32Array(0))).toThrow(/^initialParameters: expected a non-empty Float32Array/);
    expect(() => new SelfPlay({}, Float32Array.of(1, Infinity))).toThrow(/^initialParameters\[1\]: expected a finite number, got Infinity/);
  });
});
