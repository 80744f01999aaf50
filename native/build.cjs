#!/usr/bin/env node
// Build the native addon (TAP devices, packet sockets) with node-gyp, offline, from the Node
// headers on this machine. A failed build warns and exits 0: the rest of wirecraft works, and the
// live functions throw a LinkError naming `npm run build:native` (or `npm rebuild wirecraft`).
// Set WIRECRAFT_NATIVE_STRICT=1 to make a failure fatal.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const here = __dirname;
const strict = process.env.WIRECRAFT_NATIVE_STRICT === "1";

function warn(message) {
  console.warn(`\nwirecraft: the native addon was not built: ${message}`);
  console.warn("wirecraft: everything but live traffic (TAP, packet sockets, send/sniff/sr) works.");
  console.warn("wirecraft: to build it later: `npm run build:native` here, or `npm rebuild wirecraft` in a project.\n");
  process.exit(strict ? 1 : 0);
}

if (process.platform !== "linux") warn(`live traffic needs Linux (this is ${process.platform})`);

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const prefix = path.resolve(path.dirname(process.execPath), "..");
  candidates.push(path.join(prefix, "lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"));
  candidates.push(path.join(prefix, "node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"));
  try {
    candidates.push(require.resolve("node-gyp/bin/node-gyp.js"));
  } catch {}
  return candidates.find((file) => file.endsWith(".js") && fs.existsSync(file));
}

function findNodeDir() {
  const configured = process.env.npm_config_nodedir;
  if (configured && fs.existsSync(path.join(configured, "include/node/node_api.h"))) return configured;
  const prefix = path.resolve(path.dirname(process.execPath), "..");
  if (fs.existsSync(path.join(prefix, "include/node/node_api.h"))) return prefix;
  return undefined;
}

const gyp = findNodeGyp();
if (!gyp) warn("node-gyp was not found (it comes with npm)");
const nodedir = findNodeDir();
if (!nodedir) warn("the Node headers (include/node/node_api.h) were not found next to node; set npm_config_nodedir");

const args = [gyp, "rebuild", "--loglevel=warn", `--directory=${here}`, `--nodedir=${nodedir}`];
const result = spawnSync(process.execPath, args, {
  stdio: ["ignore", "inherit", "inherit"],
  timeout: 180_000,
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (result.error) warn(`node-gyp could not run: ${result.error.message}`);
if (result.status !== 0) warn(`node-gyp exited with ${result.status ?? result.signal}`);
const built = path.join(here, "build/Release/wirecraft_native.node");
if (!fs.existsSync(built)) warn(`node-gyp finished but ${built} is missing`);
console.log(`wirecraft: native addon built: ${path.relative(process.cwd(), built)}`);
