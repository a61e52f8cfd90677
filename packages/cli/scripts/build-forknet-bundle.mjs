#!/usr/bin/env node
// Builds dist/forknet.bundle.mjs: `incusx forknet dhcp` with its
// dependencies and the built-in plugins in one ES module (see
// src/forknet-bundle.ts and docs/forknet-dhcp.md, "One-shot bundle").
// Runs after `tsc -b` (it bundles dist/, not src/: tsc has already
// compiled the decorators) as part of the root `pnpm run build`.
//
//   node packages/cli/scripts/build-forknet-bundle.mjs [--metafile FILE]
//
// What esbuild cannot inline stays outside: the native addon of
// @incusx/linux-net (a .node file) is found at run time next to that
// package's package.json, as the unbundled module finds it, so a rebuilt
// addon needs no new bundle.
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const cliDir = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(cliDir, "dist/forknet-bundle.js");
const outfile = join(cliDir, "dist/forknet.bundle.mjs");

/** The addon URL of linux-net's native-addon.js, relative to that file; rewritten to one resolved from the package. */
const ADDON_URL = 'new URL("../build/Release/incusx_linux_net.node", import.meta.url)';
const RESOLVED_ADDON_URL =
  'new URL("build/Release/incusx_linux_net.node", __incusxPathToFileURL(__incusxCreateRequire(import.meta.url).resolve("@incusx/linux-net/package.json")))';

const nativeAddonPath = {
  name: "linux-net-native-addon-path",
  setup(b) {
    b.onLoad({ filter: /[\\/]linux-net[\\/]dist[\\/]native-addon\.js$/ }, ({ path }) => {
      const source = readFileSync(path, "utf8");
      // A changed native-addon.js must fail the build, not make a bundle that cannot find the addon.
      if (!source.includes(ADDON_URL)) throw new Error(`${path} no longer contains ${ADDON_URL}; update ${fileURLToPath(import.meta.url)}`);
      return { contents: source.replace(ADDON_URL, RESOLVED_ADDON_URL), loader: "js" };
    });
  },
};

// `--daemon` hands the NIC to `incusx daemon` over its socket: a rare path
// whose client pulls in the daemon's metrics (prom-client, OpenTelemetry),
// a sixth of the bundle. It stays a real import of the unbundled module
// next to the bundle, so every one-shot start need not parse it.
const daemonClientOutside = {
  name: "forknet-daemon-client-outside",
  setup(b) {
    b.onResolve({ filter: /^\.\/forknet-dhcp-daemon\.js$/ }, ({ kind }) => {
      if (kind !== "dynamic-import") throw new Error("forknet-dhcp-daemon.js must stay a dynamic import of forknet-dhcp.js");
      return { path: "./commands/forknet-dhcp-daemon.js", external: true };
    });
  },
};

// node:child_process costs about 20 ms of CPU to load, and a one-shot
// DHCP start never calls it (it serves the nsenter fallback): the bundle
// gets plain-function stand-ins that load it on first call. Only its
// functions are forwarded; a module importing anything else from it fails
// the build (esbuild: no matching export), not the run.
const lazyChildProcess = {
  name: "lazy-child-process",
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, ({ path }) => ({ path, namespace: "lazy-builtin" }));
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, async ({ path }) => {
      const real = await import(path);
      const functions = Object.keys(real).filter((n) => n !== "default" && /^[a-z]/.test(n) && typeof real[n] === "function");
      const lines = [
        'import { createRequire } from "node:module";',
        "let real;",
        `const load = () => (real ??= createRequire(import.meta.url)(${JSON.stringify(path)}));`,
        ...functions.map((n) => `export function ${n}(...args) { return load().${n}(...args); }`),
      ];
      return { contents: lines.join("\n"), loader: "js", resolveDir: cliDir };
    });
  },
};

// A live server's state (@incusx/state-incus: undici, ws) is more than half
// of what the host would pull in, and `forknet dhcp` never reads network
// state: the bundle gets a stand-in whose constructor says so. A host
// config naming `"state": {"type": "incus"}` fails with that message; the
// unbundled `incusx` reads it.
const noLiveState = {
  name: "no-live-state",
  setup(b) {
    b.onResolve({ filter: /^@incusx\/state-incus$/ }, ({ path }) => ({ path, namespace: "no-live-state" }));
    b.onLoad({ filter: /.*/, namespace: "no-live-state" }, () => ({
      contents: [
        "export class IncusNetworkState {",
        "  constructor() {",
        '    throw new Error("The one-shot forknet bundle reads no live server state (\\"state\\": {\\"type\\": \\"incus\\"}); run `incusx forknet dhcp` for that");',
        "  }",
        "}",
      ].join("\n"),
      loader: "js",
    }));
  },
};

const args = process.argv.slice(2);
const metafileOut = args[0] === "--metafile" ? args[1] : undefined;
const result = await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Keeps the shebang of the entry; CommonJS dependencies (tsyringe) get a real require.
  banner: {
    js: [
      'import { createRequire as __incusxCreateRequire } from "node:module";',
      'import { pathToFileURL as __incusxPathToFileURL } from "node:url";',
      "const require = __incusxCreateRequire(import.meta.url);",
    ].join("\n"),
  },
  external: ["*.node"],
  legalComments: "none",
  sourcemap: false,
  logLevel: "warning",
  metafile: metafileOut !== undefined,
  plugins: [nativeAddonPath, daemonClientOutside, lazyChildProcess, noLiveState],
});
if (metafileOut !== undefined) writeFileSync(metafileOut, JSON.stringify(result.metafile));
chmodSync(outfile, 0o755);
