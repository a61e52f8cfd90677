#!/usr/bin/env node
// The package's install script: builds the native addon
// (build/Release/incusx_linux_net.node) with node-gyp.
//
// Only the device-bound UDP/IPv4 socket needs the addon, so a failed build
// warns instead of failing the install: everything else in the package
// works, and nativeAddonStatus() / openUdp4DeviceSocket() say why the
// addon is missing. Set INCUSX_NATIVE_REQUIRED=1 to make a failure fatal.
//
// Headers: node-gyp downloads them unless it is given a `nodedir`. When
// none is configured, the headers installed with the running Node
// (<prefix>/include/node, as distribution packages and the official
// tarballs lay them out) are used, so no download is needed.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const required = process.env.INCUSX_NATIVE_REQUIRED === "1";

if (process.platform !== "linux") {
  console.log(`@incusx/linux-net: skipping the native addon (Linux only, this is "${process.platform}")`);
  process.exit(0);
}

const args = ["rebuild"];
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include", "node", "node_api.h"))) {
  args.push(`--nodedir=${prefix}`);
}
// pnpm and npm put their bundled node-gyp on PATH for install scripts.
const result = spawnSync("node-gyp", args, { cwd: packageDir, stdio: "inherit" });
if (result.status !== 0) {
  const why = result.error ? result.error.message : `node-gyp exited with code ${result.status ?? result.signal}`;
  console.warn(
    `@incusx/linux-net: the native addon was not built (${why}). ` +
      "openUdp4DeviceSocket (DHCPv4) will be unavailable; install python3, make and a C compiler, " +
      'then run "node-gyp rebuild" in the package directory.',
  );
  process.exit(required ? 1 : 0);
}
