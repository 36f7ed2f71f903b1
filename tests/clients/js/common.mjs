// Runs one named case of a client script and prints its result as one JSON line.
// Usage: node SCRIPT.mjs CASE BASE_URL. A thrown error becomes {"error": ...} with the
// details the client attached (status, body, cause), so a test shows what the client choked on.

import { readFileSync } from "node:fs";

// The requests every client sends, shared with the Python tests (tests/clients/cases.json).
const cases = JSON.parse(readFileSync(new URL("../cases.json", import.meta.url), "utf8"));
export const CHAT = cases.chat;
export const MAX_TOKENS = cases.max_tokens;
export const CODER = cases.coder;
export const FIM_PREFIX = cases.fim_prefix;
export const FIM_SUFFIX = cases.fim_suffix;

function describe(error) {
  const seen = [];
  for (let e = error; e && seen.length < 4; e = e.cause) {
    seen.push({
      name: e.name,
      message: String(e.message ?? e).slice(0, 1500),
      status: e.statusCode ?? e.status_code ?? e.status,
      body: typeof e.responseBody === "string" ? e.responseBody.slice(0, 800) : undefined,
    });
  }
  return seen;
}

export async function main(cases) {
  const [name, base] = process.argv.slice(2);
  const run = cases[name];
  if (!run) {
    throw new Error(`unknown case ${name}; cases: ${Object.keys(cases).join(", ")}`);
  }
  let result;
  try {
    result = await run(base);
  } catch (error) {
    result = { error: describe(error) };
  }
  process.stdout.write(JSON.stringify(result) + "\n");
}
