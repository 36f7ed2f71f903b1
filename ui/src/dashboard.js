// The dashboard page (ui/dashboard): the server's own /metrics and api/ps, polled and charted.
import { Chart } from "./charts.js";
import { $, api, ApiError, checkLoading, errorText, hideBanner, showBanner } from "./common.js";
import { buckets, difference, has, parse, quantile, total } from "./prometheus.js";

const POLL_MS = 2000;
const WINDOW_MS = 5 * 60 * 1000; // charts show the last five minutes
const PERCENTILE_MS = 60 * 1000; // percentiles over the last minute
// Routes that generate text; the dashboard's own polling and other housekeeping stay out
// of requests per second and of the latency percentiles.
const GENERATION_ROUTES = new Set([
  "/api/generate",
  "/api/chat",
  "/v1/chat/completions",
  "/chat/completions",
  "/v1/completions",
  "/completions",
  "/infill",
]);
const generation = (labels) => GENERATION_ROUTES.has(labels.route);
// Acceptance telemetry, when the server has it: one counter by event, or one per event.
const EVENTS = "codefill_completion_events_total";
const SHOWN = "codefill_completions_shown_total";
const ACCEPTED = "codefill_completions_accepted_total";
const DISMISSED = "codefill_completions_dismissed_total";

const history = []; // raw readings, oldest first
const points = []; // derived per-poll values for the charts

// Shown, accepted and dismissed completions, or null when the server has no telemetry.
function acceptance(samples) {
  if (has(samples, EVENTS)) {
    const event = (name) => total(samples, EVENTS, (labels) => labels.event === name);
    return { shown: event("view"), accepted: event("accept"), dismissed: event("dismiss") };
  }
  if (!has(samples, SHOWN)) return null;
  return {
    shown: total(samples, SHOWN),
    accepted: total(samples, ACCEPTED),
    dismissed: total(samples, DISMISSED),
  };
}

function read(samples, t) {
  const reason = (r) => (labels) => labels.reason === r;
  const telemetry = acceptance(samples);
  return {
    t,
    requests: total(samples, "codefill_requests_total", generation),
    errors: total(samples, "codefill_requests_total", (l) => generation(l) && Number(l.status) >= 400),
    generated: total(samples, "codefill_completion_tokens_total"),
    prompt: total(samples, "codefill_prompt_tokens_total"),
    reused: total(samples, "codefill_kv_cache_reused_tokens_total"),
    cancelled: total(samples, "codefill_generations_total", reason("cancelled")),
    typeahead: total(samples, "codefill_generations_total", reason("typeahead")),
    superseded: total(samples, "codefill_superseded_requests_total"),
    busy: total(samples, "codefill_busy_slots"),
    queue: total(samples, "codefill_queue_depth"),
    ttft: buckets(samples, "codefill_time_to_first_token_seconds", generation),
    latency: buckets(samples, "codefill_request_seconds", generation),
    routes: samples.filter((s) => s.name === "codefill_requests_total"),
    telemetry,
  };
}

// The reading closest to `ms` before the latest one (or the oldest kept).
function readingBefore(ms) {
  const now = history[history.length - 1];
  for (let i = history.length - 1; i >= 0; i -= 1) if (now.t - history[i].t >= ms) return history[i];
  return null;
}

function percentiles(key) {
  const now = history[history.length - 1];
  const window = difference(now[key], readingBefore(PERCENTILE_MS)?.[key] ?? null);
  const recent = (window.get(Infinity) ?? 0) > 0;
  const source = recent ? window : now[key];
  return { p50: quantile(0.5, source), p95: quantile(0.95, source), recent };
}

function derive(now, before) {
  const seconds = before ? (now.t - before.t) / 1000 : 0;
  const rate = (key) => (seconds > 0 ? Math.max(0, now[key] - before[key]) / seconds : null);
  const ttft = percentiles("ttft");
  const latency = percentiles("latency");
  return {
    t: now.t,
    rps: rate("requests"),
    tps: rate("generated"),
    pps: rate("prompt"),
    reusedps: rate("reused"),
    supersededps: rate("superseded"),
    cancelledps: rate("cancelled"),
    busy: now.busy,
    queue: now.queue,
    ttft50: ttft.p50,
    ttft95: ttft.p95,
    lat50: latency.p50,
    lat95: latency.p95,
    ttftRecent: ttft.recent,
    latRecent: latency.recent,
  };
}

const seconds = (v) => (v == null ? "—" : v >= 1 ? `${v.toFixed(2)} s` : `${Math.round(v * 1000)} ms`);
const number = (v, digits = 1) => (v == null ? "—" : v.toFixed(digits));
const count = (v) => (v == null ? "—" : Math.round(v).toLocaleString("en-US"));

function set(id, text) {
  $(`#${id}`).textContent = text;
}

function showNumbers(now, p) {
  set("v-rps", number(p.rps, 2));
  set("v-requests", count(now.requests));
  set("v-errors", count(now.errors));
  set("v-tps", number(p.tps));
  set("v-pps", number(p.pps));
  set("v-tokens", count(now.generated));
  set("v-ttft-p50", seconds(p.ttft50));
  set("v-ttft-p95", seconds(p.ttft95));
  set("v-ttft-window", p.ttftRecent ? "last minute" : "since start");
  set("v-lat-p50", seconds(p.lat50));
  set("v-lat-p95", seconds(p.lat95));
  set("v-lat-window", p.latRecent ? "last minute" : "since start");
  set("v-busy", count(now.busy));
  set("v-queue", count(now.queue));
  set("v-reused", count(now.reused));
  set("v-reuse-share", now.prompt ? `${((100 * now.reused) / now.prompt).toFixed(1)}%` : "—");
  set("v-superseded", count(now.superseded));
  set("v-cancelled", count(now.cancelled));
  set("v-typeahead", count(now.typeahead));
  const tm = now.telemetry;
  if (tm) {
    set("v-acceptance", tm.shown ? `${((100 * tm.accepted) / tm.shown).toFixed(1)}%` : "—");
    const detail = `${count(tm.shown)} shown, ${count(tm.accepted)} accepted`;
    set("v-acceptance-detail", `${detail}, ${count(tm.dismissed)} dismissed`);
  } else {
    set("v-acceptance", "—");
    set("v-acceptance-detail", "this server exports no acceptance telemetry");
  }
}

function showRoutes(routes) {
  const byRoute = new Map();
  for (const s of routes) {
    const row = byRoute.get(s.labels.route) ?? { ok: 0, failed: 0 };
    if (Number(s.labels.status) >= 400) row.failed += s.value;
    else row.ok += s.value;
    byRoute.set(s.labels.route, row);
  }
  const rows = [...byRoute.entries()].sort((a, b) => b[1].ok + b[1].failed - (a[1].ok + a[1].failed));
  $("#routes").replaceChildren(
    ...rows.map(([route, row]) => {
      const tr = document.createElement("tr");
      for (const text of [route, count(row.ok), count(row.failed)]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
}

async function showModels() {
  const response = await api("api/ps");
  if (!response.ok) throw new ApiError(response.status, await errorText(response));
  const { models } = await response.json();
  set("v-models", String(models.length));
  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const rows = models.map((m) => {
    const tr = document.createElement("tr");
    const forever = m.expires_at?.startsWith("9999");
    const expires = forever ? "kept loaded" : new Date(m.expires_at).toLocaleTimeString();
    const details = m.details ?? {};
    const cells = [
      m.name,
      details.parameter_size ?? "",
      details.quantization_level ?? "",
      mib(m.size),
      String(m.context_length ?? ""),
      expires,
    ];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  $("#models").replaceChildren(...rows);
}

async function showHealth() {
  set("v-health", (await checkLoading()) ? "ready" : "loading a model");
}

const charts = {};

const P50 = "#0891b2";
const P95 = "#dc2626";

function makeCharts() {
  const chart = (id, series, format) => new Chart($(`#${id}`), series, WINDOW_MS, format);
  const twoDigits = (v) => v.toFixed(2);
  charts.rps = chart("c-rps", [{ key: "rps", label: "requests/s", color: "#2563eb" }], twoDigits);
  charts.tps = chart("c-tps", [
    { key: "tps", label: "generated", color: "#16a34a" },
    { key: "pps", label: "prompt", color: "#9333ea" },
  ]);
  charts.ttft = chart("c-ttft", [
    { key: "ttft50", label: "p50", color: P50 },
    { key: "ttft95", label: "p95", color: P95 },
  ], seconds);
  charts.lat = chart("c-lat", [
    { key: "lat50", label: "p50", color: P50 },
    { key: "lat95", label: "p95", color: P95 },
  ], seconds);
  charts.slots = chart("c-slots", [
    { key: "busy", label: "busy slots", color: "#ea580c" },
    { key: "queue", label: "queued", color: "#64748b" },
  ], (v) => v.toFixed(0));
  charts.reuse = chart("c-reuse", [{ key: "reusedps", label: "reused tokens/s", color: "#16a34a" }]);
  charts.ended = chart("c-ended", [
    { key: "supersededps", label: "superseded/s", color: "#ca8a04" },
    { key: "cancelledps", label: "cancelled/s", color: P95 },
  ], twoDigits);
}

async function poll() {
  try {
    const response = await api("metrics");
    if (!response.ok) throw new ApiError(response.status, await errorText(response));
    const now = read(parse(await response.text()), Date.now());
    const before = history[history.length - 1];
    history.push(now);
    while (history.length > 2 && now.t - history[0].t > WINDOW_MS + PERCENTILE_MS) history.shift();
    const derived = derive(now, before);
    points.push(derived);
    while (points.length && now.t - points[0].t > WINDOW_MS) points.shift();
    showNumbers(now, derived);
    showRoutes(now.routes);
    for (const chart of Object.values(charts)) chart.draw(points);
    await Promise.all([showModels(), showHealth()]);
    hideBanner("error");
    set("v-updated", new Date(now.t).toLocaleTimeString());
  } catch (error) {
    if (error.status !== 503) showBanner(`Could not read the server's metrics: ${error.message}`);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

makeCharts();
poll();
