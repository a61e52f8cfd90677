#!/usr/bin/env node
// Builds the one-shot `incusx forknet dhcp` (see src/forknet-one-shot.ts
// and docs/forknet-dhcp.md, "One-shot bundle") in dist/:
//
//   forknet.bundle.mjs     the command with its dependencies and the built-in
//                          plugins in one ES module (entry src/forknet-bundle.ts)
//   forknet.snapshot.cjs   the same as one CommonJS script (entry
//                          src/forknet-snapshot.ts, prelude forknet-snapshot-prelude.cjs)
//   forknet.snapshot.blob  a V8 startup snapshot of that script, made by the
//                          Node.js running this build
//   forknet.snapshot.node  the path of that Node.js, with its mtime
//   incusx-forknet         the launcher (incusx-forknet.sh): the blob with
//                          that Node.js, else forknet.bundle.mjs
//
// Runs after `tsc -b` (it bundles dist/, not src/: tsc has already
// compiled the decorators) as part of the root `pnpm run build`.
//
//   node packages/cli/scripts/build-forknet-bundle.mjs [--metafile FILE]
//
// What esbuild cannot inline stays outside: the native addon of
// @incusx/linux-net (a .node file) is found at run time next to that
// package's package.json, as the unbundled module finds it, so a rebuilt
// addon needs no new bundle.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const cliDir = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(cliDir, "dist/forknet-bundle.js");
const outfile = join(cliDir, "dist/forknet.bundle.mjs");
const snapshotEntry = join(cliDir, "dist/forknet-snapshot.js");
const snapshotScript = join(cliDir, "dist/forknet.snapshot.cjs");
const snapshotBlob = join(cliDir, "dist/forknet.snapshot.blob");
const snapshotNode = join(cliDir, "dist/forknet.snapshot.node");
const launcher = join(cliDir, "dist/incusx-forknet");

/** The addon URL of linux-net's native-addon.js, relative to that file; rewritten to one resolved from the package. */
const ADDON_URL = 'new URL("../build/Release/incusx_linux_net.node", import.meta.url)';
const RESOLVED_ADDON_URL =
  'new URL("build/Release/incusx_linux_net.node", __incusxPathToFileURL(__incusxCreateRequire(import.meta.url).resolve("@incusx/linux-net/package.json")))';

// In the snapshot, the path is taken on first use, not when the module is
// evaluated (while the snapshot is built, in the build directory), the
// package is found by the prelude's __incusxPackageFile and the addon
// loaded with process.dlopen (as require does): loading node:module would
// compile its ES module loader at every start.
const ADDON_PATH_CONST = "export const NATIVE_ADDON_PATH = ";
const ADDON_PATH_DEFAULT = "path = NATIVE_ADDON_PATH,";
const ADDON_REQUIRE = "createRequire(import.meta.url)(path)";
const SNAPSHOT_ADDON_URL = '__incusxPathToFileURL(__incusxPackageFile("@incusx/linux-net", "build/Release/incusx_linux_net.node"))';

const nativeAddonPath = (lazy) => ({
  name: "linux-net-native-addon-path",
  setup(b) {
    b.onLoad({ filter: /[\\/]linux-net[\\/]dist[\\/]native-addon\.js$/ }, ({ path }) => {
      let source = readFileSync(path, "utf8");
      // A changed native-addon.js must fail the build, not make a bundle that cannot find the addon.
      for (const text of [ADDON_URL, ...(lazy ? [ADDON_PATH_CONST, ADDON_PATH_DEFAULT, ADDON_REQUIRE] : [])]) {
        if (!source.includes(text)) throw new Error(`${path} no longer contains ${text}; update ${fileURLToPath(import.meta.url)}`);
      }
      if (lazy) {
        source = source
          .replace(ADDON_URL, SNAPSHOT_ADDON_URL)
          .replace(ADDON_PATH_CONST, "export let NATIVE_ADDON_PATH;\nconst nativeAddonPathNow = () => NATIVE_ADDON_PATH ??= ")
          .replace(ADDON_PATH_DEFAULT, "path = nativeAddonPathNow(),")
          .replace(ADDON_REQUIRE, "__incusxLoadAddon(path)");
      } else {
        source = source.replace(ADDON_URL, RESOLVED_ADDON_URL);
      }
      return { contents: source, loader: "js" };
    });
  },
});

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
// the build (esbuild: no matching export), not the run. The snapshot does
// the same for the built-ins Node.js 20 does not support in a startup
// snapshot ("not yet fully verified" warnings when loaded while building):
// they are loaded at run time, objects (perf_hooks' performance) through a
// proxy. `load` is the code that requires the built-in at run time.
const PROMISIFY_CUSTOM = Symbol.for("nodejs.util.promisify.custom");
const lazyBuiltins = (specifiers, load) => ({
  name: "lazy-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, ({ path }) => (specifiers.includes(path) ? { path, namespace: "lazy-builtin" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, async ({ path }) => {
      const real = await import(path);
      const names = Object.keys(real).filter((n) => n !== "default" && /^[a-z]/.test(n));
      const lines = [
        ...load.imports,
        "let real;",
        `const load = () => (real ??= ${load.call(JSON.stringify(path))});`,
        ...names.map((n) =>
          typeof real[n] === "function"
            ? `export function ${n}(...args) { return load().${n}(...args); }` +
              // util.promisify(execFile) must give what it gives for the real one ({ stdout, stderr }), without loading it.
              (typeof real[n][PROMISIFY_CUSTOM] === "function" ? `\n${n}[Symbol.for("nodejs.util.promisify.custom")] = (...args) => load().${n}[Symbol.for("nodejs.util.promisify.custom")](...args);` : "")
            : `export const ${n} = new Proxy(${load.own?.[`${path} ${n}`] ?? "{}"}, { get: (own, key) => { if (Object.hasOwn(own, key)) return own[key]; const o = load().${n}; const v = o[key]; return typeof v === "function" ? v.bind(o) : v; } });`,
        ),
      ];
      return { contents: lines.join("\n"), loader: "js", resolveDir: cliDir };
    });
  },
});

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
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  external: ["*.node"],
  legalComments: "none",
  sourcemap: false,
  logLevel: "warning",
};
const result = await build({
  ...common,
  entryPoints: [entry],
  outfile,
  format: "esm",
  // Keeps the shebang of the entry; CommonJS dependencies (tsyringe) get a real require.
  banner: {
    js: [
      'import { createRequire as __incusxCreateRequire } from "node:module";',
      'import { pathToFileURL as __incusxPathToFileURL } from "node:url";',
      "const require = __incusxCreateRequire(import.meta.url);",
    ].join("\n"),
  },
  metafile: metafileOut !== undefined,
  plugins: [
    nativeAddonPath(false),
    daemonClientOutside,
    lazyBuiltins(["node:child_process"], { imports: ['import { createRequire } from "node:module";'], call: (id) => `createRequire(import.meta.url)(${id})` }),
    noLiveState,
  ],
});
if (metafileOut !== undefined) writeFileSync(metafileOut, JSON.stringify(result.metafile));
chmodSync(outfile, 0o755);

// The snapshot. Its old files go first, the launcher comes before it: a
// failed build leaves the launcher nothing to use but forknet.bundle.mjs.
for (const file of [snapshotNode, snapshotBlob, snapshotScript]) rmSync(file, { force: true });
copyFileSync(join(cliDir, "scripts/incusx-forknet.sh"), launcher);
chmodSync(launcher, 0o755);
const prelude = readFileSync(join(cliDir, "scripts/forknet-snapshot-prelude.cjs"), "utf8");
await build({
  ...common,
  entryPoints: [snapshotEntry],
  outfile: snapshotScript,
  format: "cjs",
  // Read at run time from the prelude (the URL of forknet.bundle.mjs beside the blob).
  define: { "import.meta.url": "__incusxMetaUrl" },
  banner: { js: prelude },
  plugins: [
    nativeAddonPath(true),
    daemonClientOutside,
    lazyBuiltins(["node:child_process", "node:dgram", "node:module", "node:perf_hooks", "node:vm", "node:worker_threads"], {
      imports: [],
      call: (id) => `__incusxRequire(${id})`,
      // The code reads performance.now() for durations only; loading perf_hooks (eight modules) for it costs more than the durations.
      own: { "node:perf_hooks performance": "{ now: () => process.uptime() * 1000 }" },
    }),
    noLiveState,
  ],
});
// The snapshot's script has no import callback: the import() esbuild left
// (plugins by path, the unbundled daemon client) go through the prelude's.
const script = readFileSync(snapshotScript, "utf8");
if (!script.startsWith(prelude)) throw new Error(`${snapshotScript} does not start with the prelude; check the build`);
const body = script.slice(prelude.length);
const imports = body.match(/\bimport\(/g)?.length ?? 0;
writeFileSync(snapshotScript, prelude + body.replace(/\bimport\(/g, "__incusxImport("));
if (imports === 0) throw new Error(`${snapshotScript}: no import() left to route through the prelude; check the build`);
// Without Node.js's code cache of its built-ins: half the blob (3 MB, not
// 6), and reading and copying the other half cost more at every start than
// compiling the few built-ins loaded after it (Node.js 20.12 and later).
const [major, minor] = process.versions.node.split(".").map(Number);
const config = join(cliDir, "dist/forknet.snapshot.json");
writeFileSync(config, JSON.stringify({ builder: snapshotScript, withoutCodeCache: true }));
const how = major > 20 || (major === 20 && minor >= 12) ? ["--build-snapshot-config", config] : ["--build-snapshot", snapshotScript];
const made = spawnSync(process.execPath, ["--snapshot-blob", snapshotBlob, ...how], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
rmSync(config, { force: true });
// A warning while building (a built-in Node.js does not support in snapshots) is a failure too.
if (made.status !== 0 || made.stderr.trim() !== "") {
  rmSync(snapshotBlob, { force: true });
  throw new Error(`Building the startup snapshot ${snapshotBlob} failed (status ${made.status}):\n${made.stderr}${made.error?.message ?? ""}`);
}
// The launcher runs the blob only with the Node.js that made it: its path,
// and its mtime (copied exactly, to the nanosecond) to notice it replaced.
writeFileSync(snapshotNode, `${process.execPath}\n`);
const touched = spawnSync("touch", ["-r", process.execPath, snapshotNode], { encoding: "utf8" });
if (touched.status !== 0) throw new Error(`touch -r ${process.execPath} ${snapshotNode} failed: ${touched.stderr}`);
