#!/usr/bin/env node
// Lays out the Worker projects of tests/projects/projects.json under
// target/projects/, ready for `isola dev` (and `wrangler dev`, which
// scripts/record-projects runs to record their answers):
//
// - templates come from the create-cloudflare npm package (the pinned
//   version), with its placeholders filled in as `npm create cloudflare`
//   fills them; a framework template first runs the framework's generator
//   (`generator`, pinned), adds the Cloudflare Vite plugin to its Vite
//   config (`vite_plugin`) and is built (`build`), as create-cloudflare's
//   setup and the developer's `npm run build` do;
// - our own apps are copied from tests/projects/<dir>;
// - each gets its npm dependencies, the development tools (wrangler,
//   vitest, typescript, type packages) left out: neither runtime needs them;
//   `dependencies` in the manifest adds those a template's setup installs.
//
// A project already laid out from the same manifest entry is left alone.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const manifest = JSON.parse(
  fs.readFileSync(path.join(root, "tests/projects/projects.json"), "utf8"),
);
const out = path.join(root, "target/projects");
const TOOLS = /^(wrangler|vitest|typescript|prettier|eslint.*|@eslint\/.*|globals|@cloudflare\/(vitest-pool-workers|workers-types)|@types\/.*)$/;

function run(command, args, cwd) {
  execFileSync(command, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
}

/** The unpacked create-cloudflare package, fetched once. */
function templates() {
  const { package: name, version } = manifest.templates;
  const dir = path.join(out, `.${name}-${version}`);
  if (!fs.existsSync(path.join(dir, "package"))) {
    fs.mkdirSync(dir, { recursive: true });
    run("npm", ["pack", `${name}@${version}`, "--silent", "--pack-destination", dir], dir);
    const tarball = fs.readdirSync(dir).find((f) => f.endsWith(".tgz"));
    run("tar", ["xzf", tarball], dir);
  }
  return path.join(dir, "package/templates");
}

/** Copies a template, filling in what `npm create cloudflare` fills in. */
function copyTemplate(from, to, name) {
  fs.cpSync(from, to, { recursive: true });
  for (const entry of fs.readdirSync(to, { recursive: true })) {
    const file = path.join(to, entry);
    if (!fs.statSync(file).isFile()) continue;
    const base = path.basename(file);
    if (base.startsWith("__dot__")) {
      fs.renameSync(file, path.join(path.dirname(file), base.replace("__dot__", ".")));
      continue;
    }
    const text = fs.readFileSync(file, "utf8");
    const filled = text
      .replaceAll("<WORKER_NAME>", name)
      .replaceAll("<PACKAGE_NAME>", name)
      .replaceAll("<COMPATIBILITY_DATE>", manifest.templates.compatibility_date);
    if (filled !== text) fs.writeFileSync(file, filled);
  }
}

/** Runs a framework's generator, as `npm create cloudflare` does, making `dir`. */
function generate(dir, { package: name, version, args }) {
  run("npm", ["exec", "--yes", `${name}@${version}`, "--", path.basename(dir), ...args], path.dirname(dir));
}

/** Adds the Cloudflare Vite plugin to the project's Vite config, as create-cloudflare does. */
function addVitePlugin(dir) {
  const file = ["vite.config.js", "vite.config.ts"].map((f) => path.join(dir, f)).find(fs.existsSync);
  let text = fs.readFileSync(file, "utf8");
  const imports = [...text.matchAll(/^import .*$/gm)];
  const end = imports.at(-1).index + imports.at(-1)[0].length;
  text = `${text.slice(0, end)}\nimport { cloudflare } from "@cloudflare/vite-plugin";${text.slice(end)}`;
  text = text.replace(/plugins:\s*\[([^\]]*)\]/, (_, list) => `plugins: [${list.trim()}, cloudflare()]`);
  fs.writeFileSync(file, text);
}

/**
 * Installs the project's runtime dependencies, without the tools; `extra`
 * and `extraDev` are those `npm create cloudflare` would add to a template
 * (or pin).
 */
function install(dir, name, extra, extraDev) {
  const file = path.join(dir, "package.json");
  const pkg = fs.existsSync(file)
    ? JSON.parse(fs.readFileSync(file, "utf8"))
    : { name, private: true };
  pkg.dependencies = { ...pkg.dependencies, ...extra };
  pkg.devDependencies = { ...pkg.devDependencies, ...extraDev };
  for (const field of ["dependencies", "devDependencies"]) {
    for (const dep of Object.keys(pkg[field] ?? {})) {
      if (TOOLS.test(dep)) delete pkg[field][dep];
    }
  }
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  if (Object.keys(deps).length > 0) {
    run("npm", ["install", "--silent", "--no-audit", "--no-fund", "--no-package-lock"], dir);
  }
}

for (const [name, project] of Object.entries(manifest.projects)) {
  const dir = path.join(out, name);
  const stamp = createHash("sha256")
    .update(JSON.stringify([manifest.templates, project]))
    .update(project.dir ? fingerprint(path.join(root, "tests/projects", project.dir)) : "")
    .digest("hex");
  const stampFile = path.join(dir, ".prepared");
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp) continue;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  if (project.generator) generate(dir, project.generator);
  if (project.template) {
    copyTemplate(path.join(templates(), project.template), dir, name);
  } else {
    fs.cpSync(path.join(root, "tests/projects", project.dir), dir, { recursive: true });
  }
  if (project.vite_plugin) addVitePlugin(dir);
  install(dir, name, project.dependencies, project.devDependencies);
  if (project.build) run("npm", ["run", "build", "--silent"], dir);
  fs.writeFileSync(stampFile, stamp);
}

/** The names and contents of the files under `dir`, for the stamp. */
function fingerprint(dir) {
  const hash = createHash("sha256");
  for (const entry of fs.readdirSync(dir, { recursive: true }).sort()) {
    const file = path.join(dir, entry);
    if (fs.statSync(file).isFile()) hash.update(entry).update(fs.readFileSync(file));
  }
  return hash.digest("hex");
}
