// What both pages share: URLs relative to wherever codefill is served, the API key, and
// clear messages for 401 and 503.
//
// The pages never name an absolute path: this script lives at <root>ui/static/, so the API
// root is two levels up from it, which stays right behind a reverse proxy's path prefix.

export const ROOT = new URL("../../", import.meta.url);
const KEY_STORE = "codefill-api-key";

export function apiUrl(path) {
  return new URL(path, ROOT).toString();
}

export function $(selector) {
  return document.querySelector(selector);
}

// One random id per page load, for X-Codefill-Session: the server supersedes and types
// ahead per session, as it does for an editor plugin. getRandomValues also works on plain
// http, where crypto.randomUUID does not.
export const SESSION = `web-${Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) =>
  b.toString(16).padStart(2, "0"),
).join("")}`;

let asking = null;

// The dialog that asks for a key, made the first time it is needed.
function keyDialog() {
  let dialog = $("#key-dialog");
  if (dialog) return dialog;
  dialog = document.createElement("dialog");
  dialog.id = "key-dialog";
  const form = document.createElement("form");
  form.method = "dialog";
  const message = document.createElement("p");
  message.id = "key-message";
  const input = document.createElement("input");
  Object.assign(input, { id: "key-input", type: "password", autocomplete: "off" });
  input.placeholder = "API key";
  input.setAttribute("aria-label", "API key");
  const note = document.createElement("p");
  note.className = "note";
  note.textContent =
    "Kept in this browser tab only (sessionStorage), sent as Authorization: Bearer.";
  const button = document.createElement("button");
  Object.assign(button, { id: "key-submit", value: "ok", textContent: "Use key" });
  form.append(message, input, note, button);
  dialog.append(form);
  document.body.append(dialog);
  return dialog;
}

// Ask for an API key in a dialog; every caller waiting on a 401 shares one ask.
function askForKey(refused) {
  if (asking) return asking;
  const dialog = keyDialog();
  const input = $("#key-input");
  $("#key-message").textContent = refused
    ? "That key was refused. Enter a valid API key."
    : "This server requires an API key.";
  input.value = "";
  asking = new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        asking = null;
        const key = input.value.trim();
        if (key) sessionStorage.setItem(KEY_STORE, key);
        resolve(Boolean(key));
      },
      { once: true },
    );
  });
  dialog.showModal();
  input.focus();
  return asking;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// fetch() relative to the API root, with the key from this browser session. On 401 it asks
// for a key and tries again; a 503 puts a banner up saying why. Other answers are returned
// as they are, for the caller to read.
export async function api(path, init = {}) {
  let refused = false;
  for (;;) {
    const headers = new Headers(init.headers ?? {});
    const key = sessionStorage.getItem(KEY_STORE);
    if (key) headers.set("Authorization", `Bearer ${key}`);
    const response = await fetch(apiUrl(path), { ...init, headers });
    if (response.status === 401) {
      if (!(await askForKey(refused || Boolean(key)))) {
        throw new ApiError(401, "an API key is required");
      }
      refused = true;
      continue;
    }
    if (response.status === 503) {
      const message = await errorText(response);
      showBanner(overloadMessage(message, response.headers.get("Retry-After")), "warn");
      throw new ApiError(503, message);
    }
    if (response.ok) hideBanner("warn");
    return response;
  }
}

// The message inside an Ollama ({"error": "..."}) or OpenAI ({"error": {"message"}}) body.
export async function errorText(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    const error = body.error ?? body.status; // /health says {"status": "loading model"}
    return typeof error === "string" ? error : (error?.message ?? text);
  } catch {
    return text || `HTTP ${response.status}`;
  }
}

const LOADING = "The default model is still loading: answers start once it has loaded.";

function overloadMessage(message, retryAfter) {
  const wait = retryAfter ? ` Try again in ${retryAfter} s.` : "";
  if (/\bload/i.test(message)) return `${LOADING}${wait}`;
  return `The server is busy (503): ${message}.${wait}`;
}

// /health answers 503 until the default model has loaded: say so until it has. Returns
// whether the server is ready.
export async function checkLoading() {
  let response;
  try {
    response = await fetch(apiUrl("health"));
  } catch {
    return false;
  }
  if (response.status === 503) {
    showBanner(LOADING, "warn");
    return false;
  }
  hideBanner("warn");
  return response.ok;
}

export async function watchLoading() {
  while (!(await checkLoading())) await new Promise((done) => setTimeout(done, 2000));
}

let bannerKind = null;

export function showBanner(text, kind = "error") {
  const banner = $("#banner");
  banner.textContent = text;
  banner.className = `banner ${kind}`;
  banner.hidden = false;
  bannerKind = kind;
}

export function hideBanner(kind) {
  if (kind && kind !== bannerKind) return;
  $("#banner").hidden = true;
  bannerKind = null;
}

// The lines of a streamed body as they arrive (NDJSON, or SSE's "data:" lines).
export async function* lines(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    const parts = pending.split("\n");
    pending = parts.pop();
    for (const line of parts) if (line.trim()) yield line;
  }
  pending += decoder.decode();
  if (pending.trim()) yield pending;
}

export function formatMs(ms) {
  if (ms == null || Number.isNaN(ms)) return "—";
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

export async function loadModels(select) {
  const response = await api("api/tags");
  if (!response.ok) throw new ApiError(response.status, await errorText(response));
  const { models } = await response.json();
  const names = models.map((m) => m.name);
  select.replaceChildren(...names.map((name) => new Option(name, name)));
  if (names.includes("default")) select.value = "default";
  return names;
}
