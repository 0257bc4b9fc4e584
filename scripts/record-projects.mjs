#!/usr/bin/env node
// Records what `wrangler dev` answers to each request of
// tests/projects/projects.json, into tests/projects/answers.json: the
// reference tests/projects.rs holds `isola dev` to. Run it after changing
// the requests or the projects (it needs npm; wrangler is installed under
// target/projects/.tools on first use).
//
//   node scripts/record-projects.mjs [project ...]

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const projectsDir = path.join(root, "tests/projects");
const manifest = JSON.parse(fs.readFileSync(path.join(projectsDir, "projects.json"), "utf8"));
const answersFile = path.join(projectsDir, "answers.json");
const answers = fs.existsSync(answersFile) ? JSON.parse(fs.readFileSync(answersFile, "utf8")) : {};
const WRANGLER_VERSION = "4";

execFileSync("node", [path.join(root, "scripts/prepare-projects.mjs")], { stdio: "inherit" });

const tools = path.join(root, "target/projects/.tools");
const wrangler = path.join(tools, "node_modules/.bin/wrangler");
if (!fs.existsSync(wrangler)) {
  fs.mkdirSync(tools, { recursive: true });
  execFileSync("npm", ["install", "--silent", "--no-audit", "--no-fund", `wrangler@${WRANGLER_VERSION}`], {
    cwd: tools,
    stdio: "inherit",
  });
}

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * The arguments the project's `dev` script gives `wrangler dev` (none when
 * it runs another tool, such as Vite's dev server).
 */
function devArgs(dir) {
  const file = path.join(dir, "package.json");
  const script = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")).scripts?.dev : null;
  const words = (script ?? "wrangler dev").split(/\s+/);
  const at = words.findIndex((word, i) => word === "wrangler" && words[i + 1] === "dev");
  return at < 0 ? [] : words.slice(at + 2);
}

/**
 * One request with node:http, which sends the headers as given (fetch sets
 * its own `Sec-Fetch-Mode`); the answer's status, headers and body.
 */
function send(origin, { method = "GET", path: target, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const request = http.request(origin + target, { method, headers }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
    request.on("error", reject);
    request.end(body);
  });
}

async function record(name, project) {
  const dir = path.join(root, "target/projects", name);
  const port = await freePort();
  const child = spawn(wrangler, ["dev", ...devArgs(dir), "--ip", "127.0.0.1", "--port", String(port)], {
    cwd: dir,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
    detached: true,
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const origin = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 60_000;
    while (!/Ready on/.test(log)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name}: wrangler dev did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const seen = [];
    for (const request of project.requests) {
      const response = await send(origin, request);
      const today = new Date().toISOString().slice(0, 10);
      const body = response.body;
      const answer = {
        status: response.status,
        contentType: response.headers["content-type"] ?? null,
        // What changes from run to run: the server's address, today's date.
        body: body.replaceAll(origin, "{origin}").replaceAll(today, "{today}"),
      };
      const location = response.headers.location ?? null;
      if (location !== null) answer.location = location.replaceAll(origin, "{origin}");
      seen.push(answer);
    }
    return seen;
  } finally {
    process.kill(-child.pid, "SIGTERM");
  }
}

const only = process.argv.slice(2);
for (const [name, project] of Object.entries(manifest.projects)) {
  if (only.length > 0 && !only.includes(name)) continue;
  answers[name] = await record(name, project);
  console.log(`${name}: ${answers[name].map((a) => a.status).join(" ")}`);
}
fs.writeFileSync(answersFile, JSON.stringify(answers, null, 2) + "\n");
