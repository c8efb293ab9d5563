import { describe, expect, it } from 'vitest';
import { Timeline } from './timeline.js';

describe(Timeline.name, () => {
  it('releases everything due as one group, ordered by due time then insertion', async () => {
    const groups: string[][] = [];
    const timeline = new Timeline<{ dueAt: number; name: string }>((g) => groups.push(g.map((x) => x.name)));
    const now = Date.now();
    for (const [name, offset] of [['c', 3], ['a', 1], ['b', 1], ['d', 2], ['e', -5]] as const) {
      timeline.add({ name, dueAt: now + offset });
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(groups.flat()).toEqual(['e', 'a', 'b', 'd', 'c']);
    expect(timeline.size).toBe(0);
  });

  it('keeps order across many random inserts', async () => {
    const out: number[] = [];
    const timeline = new Timeline<{ dueAt: number }>((g) => out.push(...g.map((x) => x.dueAt)));
    const base = Date.now();
    for (let i = 0; i < 2000; i++) timeline.add({ dueAt: base + ((i * 7919) % 20) });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(out).toHaveLength(2000);
    expect(out).toEqual([...out].sort((a, b) => a - b));
  });

  it('clear cancels the timer and returns what was waiting', () => {
    const timeline = new Timeline<{ dueAt: number }>(() => expect.unreachable());
    timeline.add({ dueAt: Date.now() + 60_000 });
    expect(timeline.clear()).toHaveLength(1);
    expect(timeline.size).toBe(0);
  });
});
