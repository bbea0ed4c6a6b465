// The log the indication feed writes dropped deliveries to: a few lines per source and window,
// then a count; every source on its own; bounded in the sources it follows. A clock of the test's.
import { expect } from 'chai';
import { OTHER_SOURCES, RateLimitedLog } from '../../client/server/RateLimitedLog.js';

describe('management server: RateLimitedLog', () => {
  let now = 0;
  let lines: string[] = [];
  const make = (extra: { maxSources?: number } = {}) => new RateLimitedLog((l) => void lines.push(l), {
    perWindow: 2, windowMs: 1000, now: () => now, ...extra,
    summary: (source, n, since) => `${n} more from ${source} since ${since}`,
    limitReached: (source, n) => `${source} had its ${n}`,
  });
  beforeEach(() => {
    now = 0;
    lines = [];
  });

  it('writes the first lines of a window, notes the limit once, sums up the rest when the window is over', () => {
    const log = make();
    for (let i = 1; i <= 6; i++) log.line('a', `a${i}`);
    expect(lines).to.deep.equal(['a1', 'a2', 'a had its 2']);
    now = 999;
    log.sweep();
    expect(lines).to.have.length(3);
    now = 1000;
    log.sweep();
    expect(lines.slice(3)).to.deep.equal(['4 more from a since 1970-01-01T00:00:00.000Z']);
    log.close();
  });

  it('a line after the window opens a new one (summing up the old first); nothing held back, nothing summed up', () => {
    const log = make();
    log.line('a', 'a1');
    log.line('a', 'a2');
    log.line('a', 'a3');
    now = 1500;
    log.line('a', 'a4');
    log.line('b', 'b1');
    expect(lines).to.deep.equal(['a1', 'a2', 'a had its 2', '1 more from a since 1970-01-01T00:00:00.000Z', 'a4', 'b1']);
    now = 5000;
    log.sweep();
    expect(lines).to.have.length(6);
    log.close();
  });

  it('each source has its own share', () => {
    const log = make();
    for (const s of ['a', 'b', 'a', 'b', 'a', 'b']) log.line(s, s);
    expect(lines).to.deep.equal(['a', 'b', 'a', 'b', 'a had its 2', 'b had its 2']);
    log.close();
    expect(lines.slice(6)).to.deep.equal(['1 more from a since 1970-01-01T00:00:00.000Z', '1 more from b since 1970-01-01T00:00:00.000Z']);
  });

  it('beyond maxSources new sources share one count, so many senders cannot flood the log either', () => {
    const log = make({ maxSources: 2 });
    for (let i = 0; i < 10; i++) log.line(`s${i}`, `from s${i}`);
    expect(lines).to.deep.equal(['from s0', 'from s1', 'from s2', 'from s3', `${OTHER_SOURCES} had its 2`]);
    log.close();
    expect(lines.at(-1)).to.equal(`6 more from ${OTHER_SOURCES} since 1970-01-01T00:00:00.000Z`);
  });

  it('the timer sums up a source that fell silent (real clock)', async () => {
    const real: string[] = [];
    const log = new RateLimitedLog((l) => void real.push(l), { perWindow: 1, windowMs: 40, summary: (s, n) => `${n} more from ${s}` });
    log.line('x', 'x1');
    log.line('x', 'x2');
    log.line('x', 'x3');
    expect(real).to.deep.equal(['x1']);
    await new Promise((r) => setTimeout(r, 150));
    expect(real).to.deep.equal(['x1', '2 more from x']);
    log.close();
  });
});
