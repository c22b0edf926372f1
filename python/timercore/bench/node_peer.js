// timercore bench's Node.js peer: the same scenarios as the Python peers, written as a
// JavaScript developer would. Usage: node [--expose-gc] node_peer.js SCENARIO N
// Prints one number: ns per timer (or bytes per timer for "memory").
"use strict";
const [scenario, nText] = process.argv.slice(2);
const N = Number(nText);
const SPAN_MS = 60000;

// mulberry32: a seeded PRNG, so every run schedules the same deadlines.
function rng(seed) {
  return function () {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(1);
const noop = () => {};
const now = () => process.hrtime.bigint();
const perTimer = (t0, t1) => Number(t1 - t0) / N;
function shuffle(a) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
const delays = Array.from({ length: N }, () => 1 + random() * (SPAN_MS - 1));

function schedule() {
  const ids = [];
  const t0 = now();
  for (const d of delays) ids.push(setTimeout(noop, d));
  const t1 = now();
  for (const id of ids) clearTimeout(id);
  return perTimer(t0, t1);
}

function cancel() {
  const ids = shuffle(delays.map((d) => setTimeout(noop, d)));
  const t0 = now();
  for (const id of ids) clearTimeout(id);
  return perTimer(t0, now());
}

function pair() {
  const t0 = now();
  for (const d of delays) clearTimeout(setTimeout(noop, d));
  return perTimer(t0, now());
}

// Fire a backlog: N timers due at once. Node cannot move time, so deadlines spread over
// one second (not a minute) and the process waits that second before the timing starts.
function fire() {
  return new Promise((resolve) => {
    let fired = 0, t0 = 0n;
    const count = () => {
      if (fired === 0) t0 = now();
      if (++fired === N) resolve(perTimer(t0, now()));
    };
    for (let i = 0; i < N; i++) setTimeout(count, 1 + random() * 999);
    const until = Date.now() + 1100;
    while (Date.now() < until) {}   // every timer is due before the loop looks
  });
}

function memory() {
  global.gc();
  const before = process.memoryUsage().heapUsed;
  const ids = [];
  for (const d of delays) ids.push(setTimeout(noop, d));
  global.gc();
  const bytes = (process.memoryUsage().heapUsed - before) / N;
  for (const id of ids) clearTimeout(id);
  return bytes;
}

const scenarios = { schedule, cancel, pair, fire, memory };
Promise.resolve(scenarios[scenario]()).then((v) => {
  console.log(v);
  process.exit(0);
});
