// A small line-based unified diff (the `diff -u` format kubectl diff prints), so `dockfence diff`
// needs no external `diff` binary. Pure; inputs are manifests of a few hundred lines at most.

type Op = { kind: ' ' | '-' | '+'; text: string };

/**
 * Unified diff of two texts with `context` lines around each change and `---`/`+++` headers
 * naming `from` and `to`. Returns '' when the texts are equal.
 */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  if (before === after) return '';
  const ops = diffLines(splitLines(before), splitLines(after));
  const hunks = groupHunks(ops, context);
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  for (const hunk of hunks) out.push(...hunk);
  return `${out.join('\n')}\n`;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Edit script by longest common subsequence, after trimming the common prefix and suffix. */
export function diffLines(a: string[], b: string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  // lcs[i][j] = LCS length of midA[i..] and midB[j..], flattened.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] =
        midA[i] === midB[j]
          ? lcs[(i + 1) * (m + 1) + j + 1]! + 1
          : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
    }
  }
  const ops: Op[] = a.slice(0, start).map((text) => ({ kind: ' ', text }));
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && midA[i] === midB[j]) {
      ops.push({ kind: ' ', text: midA[i]! });
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i * (m + 1) + j + 1]! >= lcs[(i + 1) * (m + 1) + j]!)) {
      ops.push({ kind: '+', text: midB[j++]! });
    } else {
      ops.push({ kind: '-', text: midA[i++]! });
    }
  }
  for (const text of a.slice(endA)) ops.push({ kind: ' ', text });
  return reorderBlocks(ops);
}

/** Deletions before insertions within each change block, as diff(1) prints them. */
function reorderBlocks(ops: Op[]): Op[] {
  const out: Op[] = [];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      out.push(ops[k++]!);
      continue;
    }
    const block: Op[] = [];
    while (k < ops.length && ops[k]!.kind !== ' ') block.push(ops[k++]!);
    out.push(...block.filter((o) => o.kind === '-'), ...block.filter((o) => o.kind === '+'));
  }
  return out;
}

function groupHunks(ops: Op[], context: number): string[][] {
  const changes = ops.map((op, index) => (op.kind === ' ' ? -1 : index)).filter((index) => index >= 0);
  const hunks: string[][] = [];
  let k = 0;
  while (k < changes.length) {
    const first = changes[k]!;
    let last = first;
    while (k + 1 < changes.length && changes[k + 1]! - last <= 2 * context + 1) last = changes[++k]!;
    k++;
    const from = Math.max(0, first - context);
    const to = Math.min(ops.length, last + context + 1);
    hunks.push(renderHunk(ops, from, to));
  }
  return hunks;
}

function renderHunk(ops: Op[], from: number, to: number): string[] {
  let oldLine = 0;
  let newLine = 0;
  for (const op of ops.slice(0, from)) {
    if (op.kind !== '+') oldLine++;
    if (op.kind !== '-') newLine++;
  }
  const body = ops.slice(from, to);
  const oldCount = body.filter((o) => o.kind !== '+').length;
  const newCount = body.filter((o) => o.kind !== '-').length;
  const header = `@@ -${range(oldLine, oldCount)} +${range(newLine, newCount)} @@`;
  return [header, ...body.map((o) => `${o.kind}${o.text}`)];
}

/** GNU diff's range: `start,count`, just `start` for one line, `before,0` when empty. */
function range(linesBefore: number, count: number): string {
  if (count === 0) return `${linesBefore},0`;
  if (count === 1) return `${linesBefore + 1}`;
  return `${linesBefore + 1},${count}`;
}
