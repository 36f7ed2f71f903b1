// Bundle the playground and the dashboard into static files that ship in the Python package.
//
//   node build.mjs [OUT_DIR]      (default: ../codefill/ui/static)
//
// The output is deterministic: the same sources and lockfile give the same bytes, which a
// test checks against the committed bundle. Pages and the stylesheet are copied as they
// are; scripts are bundled and minified by esbuild; the licences of the npm packages that
// end up in a bundle are collected into THIRD_PARTY_LICENSES.txt.
import * as esbuild from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, "..", "codefill", "ui", "static"));
const src = path.join(here, "src");
const COPIED = ["playground.html", "dashboard.html", "ui.css"];
const ENTRIES = ["playground.js", "dashboard.js"];

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
for (const name of COPIED) fs.copyFileSync(path.join(src, name), path.join(out, name));

const result = await esbuild.build({
  entryPoints: ENTRIES.map((name) => path.join(src, name)),
  outdir: out,
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  legalComments: "none", // the licences go to THIRD_PARTY_LICENSES.txt instead
  charset: "utf8",
  metafile: true,
  logLevel: "warning",
});

const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.add(match[1]);
}
const notices = [...packages].sort().map((name) => {
  const dir = path.join(here, "node_modules", name);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  const file = fs.readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  const text = file ? fs.readFileSync(path.join(dir, file), "utf8").trim() : `License: ${meta.license}`;
  return `${name} ${meta.version} (${meta.license})\n\n${text}\n`;
});
const header = "Third-party packages bundled into playground.js and dashboard.js\n";
fs.writeFileSync(
  path.join(out, "THIRD_PARTY_LICENSES.txt"),
  [header, ...notices].join("\n" + "-".repeat(72) + "\n\n"),
);
