import { describe, expect, it } from 'vitest';
import { diffLines, unifiedDiff } from './unified-diff.js';

const labels = { from: 'live/x', to: 'merged/x' };

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', labels)).toBe('');
  });

  it('prints one hunk with three lines of context, deletions before insertions', () => {
    const before = 'l1\nl2\nl3\nl4\nold\nl6\nl7\nl8\nl9\n';
    const after = 'l1\nl2\nl3\nl4\nnew\nl6\nl7\nl8\nl9\n';
    expect(unifiedDiff(before, after, labels)).toBe(
      ['--- live/x', '+++ merged/x', '@@ -2,7 +2,7 @@', ' l2', ' l3', ' l4', '-old', '+new', ' l6', ' l7', ' l8', ''].join('\n'),
    );
  });

  it('treats a missing live object as all additions (-0,0)', () => {
    expect(unifiedDiff('', 'a\nb\n', labels)).toBe(['--- live/x', '+++ merged/x', '@@ -0,0 +1,2 @@', '+a', '+b', ''].join('\n'));
  });

  it('splits distant changes into separate hunks and merges close ones', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `l${i + 1}`);
    const changed = [...lines];
    changed[1] = 'X';
    changed[17] = 'Y';
    const text = unifiedDiff(`${lines.join('\n')}\n`, `${changed.join('\n')}\n`, labels);
    expect(text.match(/^@@/gm)).toHaveLength(2);
    expect(text).toContain('@@ -1,5 +1,5 @@');
    expect(text).toContain('@@ -15,6 +15,6 @@');
    changed[17] = 'l18';
    changed[6] = 'Z';
    expect(unifiedDiff(`${lines.join('\n')}\n`, `${changed.join('\n')}\n`, labels).match(/^@@/gm)).toHaveLength(1);
  });

  it('finds a minimal edit script', () => {
    const ops = diffLines(['a', 'b', 'c', 'd'], ['a', 'c', 'd', 'e']);
    expect(ops.map((o) => `${o.kind}${o.text}`)).toEqual([' a', '-b', ' c', ' d', '+e']);
  });
});
