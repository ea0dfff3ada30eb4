/**
 * "Did you mean": the one policy every config message uses to suggest a name for a typo, be it
 * an unknown key, an enum value or a value of an AWS table.
 */

/**
 * Levenshtein distance with an adjacent transposition counted as one edit (optimal string
 * alignment): `eu-wset-1` is one edit from `eu-west-1`, `t4g.mirco` one from `t4g.micro`.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The most edits a word of this length may be from a suggestion: 2, or a third of the word. */
export function typoTolerance(word: string): number {
  return Math.max(2, Math.floor(word.length / 3));
}

/**
 * The candidate a word is most likely a typo of, ignoring case: first one the word abbreviates
 * (`repo` for `repository`, three letters at least), else the nearest by {@link editDistance}
 * within {@link typoTolerance}; the earlier candidate wins a tie.
 *
 * @returns the candidate, or undefined when nothing is near
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  if (lower.length >= 3) {
    const extended = candidates.find((c) => c.toLowerCase().startsWith(lower) && c.length > word.length);
    if (extended) return extended;
  }
  let best: string | undefined;
  let bestDistance = typoTolerance(word) + 1;
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
