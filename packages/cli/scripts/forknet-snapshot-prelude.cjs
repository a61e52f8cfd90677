// The prelude (esbuild banner) of dist/forknet.snapshot.cjs, the script
// that build-forknet-bundle.mjs turns into the V8 startup snapshot
// dist/forknet.snapshot.blob. It runs before every bundled module, in the
// script's own scope, where `require` loads Node.js built-ins only.
//
// Everything the bundled modules compute at their top level is computed
// once, while the snapshot is built, and is the same in every process
// started from it. So, while building, reading what must differ between
// processes or hosts (the environment, argv, cwd, pid, hostname, time,
// random numbers, the file's own URL) throws, naming what was read: such
// code must read it when called, not when loaded. At run time the bundle's
// `import.meta.url` is the URL of forknet.bundle.mjs beside the blob (set
// by forknet-snapshot.ts), and `import()` goes through a vm.Script that has
// Node.js's default loader: the snapshot's own script has no import callback.
var __incusxRequire = require;
var __incusxSnapshot = (() => {
  const v8 = require("node:v8");
  const building = v8.startupSnapshot.isBuildingSnapshot();
  const frozenReads = [];
  let metaUrl;
  let importer;
  const frozen = (what) => {
    const error = new Error(`${what} read while the startup snapshot is built: the value would be frozen into every process; read it when called, not at module top level`);
    frozenReads.push(`${error.message}\n${String(error.stack).split("\n").slice(1).join("\n")}`);
    throw error;
  };
  Object.defineProperty(globalThis, "__incusxMetaUrl", { configurable: true, get: () => metaUrl ?? frozen("import.meta.url") });
  if (building) {
    const restores = [];
    const tripProperty = (object, key, what) => {
      const descriptor = Object.getOwnPropertyDescriptor(object, key);
      Object.defineProperty(object, key, { configurable: true, enumerable: descriptor.enumerable, get: () => frozen(what), set: () => frozen(what) });
      restores.push(() => Object.defineProperty(object, key, descriptor));
    };
    const tripFunction = (object, key, what) => {
      const original = object[key];
      object[key] = function () {
        return frozen(what);
      };
      restores.push(() => (object[key] = original));
    };
    tripProperty(process, "env", "process.env");
    tripProperty(process, "argv", "process.argv");
    tripProperty(process, "pid", "process.pid");
    tripFunction(process, "cwd", "process.cwd()");
    tripFunction(process, "dlopen", "A native addon (process.dlopen)");
    tripFunction(Date, "now", "Date.now()");
    tripFunction(Math, "random", "Math.random()");
    const os = require("node:os");
    for (const name of ["hostname", "homedir", "tmpdir", "userInfo", "networkInterfaces", "uptime"]) tripFunction(os, name, `os.${name}()`);
    const crypto = require("node:crypto");
    for (const name of ["randomBytes", "randomFillSync", "randomFill", "randomUUID", "randomInt", "getRandomValues"]) tripFunction(crypto, name, `crypto.${name}()`);
    // Node.js loads parseArgs on first use: loaded here, it is in the snapshot.
    void require("node:util").parseArgs;
    // Runs just before V8 serializes the heap: the snapshot keeps the real functions.
    v8.startupSnapshot.addSerializeCallback(() => {
      for (const restore of restores.reverse()) restore();
    });
  }
  return {
    building,
    /** Throws when a frozen read was caught and swallowed by the code that made it (the build must fail all the same). */
    checkBuild() {
      if (frozenReads.length > 0) throw new Error(`The startup snapshot would freeze ${frozenReads.length} per-process value(s):\n${frozenReads.join("\n\n")}`);
    },
    /** Called first thing at run time: the URL the bundled modules see as import.meta.url. */
    start(url) {
      metaUrl = url;
    },
    /** `import(specifier)` through Node.js's default loader; a relative specifier is relative to forknet.bundle.mjs. */
    dynamicImport(specifier) {
      const vm = require("node:vm");
      importer ??= new vm.Script("(specifier) => import(specifier)", {
        filename: require("node:url").fileURLToPath(metaUrl),
        importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      }).runInThisContext();
      const target = /^\.\.?\//.test(specifier) ? new URL(specifier, metaUrl).href : specifier;
      // Node.js 20 calls this loader experimental and says so on stderr at the first import; the .mjs says nothing.
      const emitWarning = process.emitWarning;
      process.emitWarning = function (warning, ...rest) {
        if (String(warning?.message ?? warning).includes("USE_MAIN_CONTEXT_DEFAULT_LOADER")) return;
        return emitWarning.call(this, warning, ...rest);
      };
      try {
        return importer(target);
      } finally {
        process.emitWarning = emitWarning;
      }
    },
  };
})();
var __incusxImport = (specifier) => __incusxSnapshot.dynamicImport(specifier);
// A file of package `name`, found in the node_modules folders up from
// forknet.bundle.mjs as Node.js finds it, else by Node.js's own resolution.
var __incusxPackageFile = (name, file) => {
  const { existsSync, realpathSync } = require("node:fs");
  const { dirname, join } = require("node:path");
  const start = dirname(require("node:url").fileURLToPath(__incusxMetaUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "node_modules", name, "package.json"))) return join(realpathSync(join(dir, "node_modules", name)), file);
    if (dirname(dir) === dir) break;
  }
  return join(dirname(__incusxCreateRequire(__incusxMetaUrl).resolve(`${name}/package.json`)), file);
};
// What require does with a .node file, without node:module.
var __incusxLoadAddon = (path) => {
  const module = { exports: {} };
  process.dlopen(module, path);
  return module.exports;
};
var __incusxCreateRequire = (url) => require("node:module").createRequire(url);
var __incusxPathToFileURL = (path) => require("node:url").pathToFileURL(path);
