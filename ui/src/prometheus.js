// Read the Prometheus text format that codefill's /metrics serves, and compute from it.

// [{name, labels, value}] for every sample line; comments and blank lines are skipped.
export function parse(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!match) continue;
    const labels = {};
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]] = pair[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

// The sum of every sample named `name` whose labels pass `keep`.
export function total(samples, name, keep = () => true) {
  let sum = 0;
  for (const s of samples) if (s.name === name && keep(s.labels)) sum += s.value;
  return sum;
}

export function has(samples, name) {
  return samples.some((s) => s.name === name);
}

// Cumulative bucket counts {le: count} of a histogram, summed over the series that pass
// `keep` (several routes become one distribution).
export function buckets(samples, name, keep = () => true) {
  const out = new Map();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !keep(s.labels)) continue;
    const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

// Observations that fell between two scrapes: `now` minus `before`, bucket by bucket.
export function difference(now, before) {
  const out = new Map();
  for (const [le, count] of now) out.set(le, count - (before?.get(le) ?? 0));
  return out;
}

// The q-quantile of cumulative buckets, interpolated within a bucket as Prometheus's
// histogram_quantile does; null with no observations.
export function quantile(q, cumulative) {
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  const count = cumulative.get(Infinity) ?? 0;
  if (!count) return null;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const seen = cumulative.get(le);
    if (seen >= rank) {
      if (le === Infinity) return lower; // past the last finite bound: report that bound
      const inBucket = seen - below;
      return lower + (le - lower) * (inBucket ? (rank - below) / inBucket : 0);
    }
    lower = le;
    below = seen;
  }
  return lower;
}
