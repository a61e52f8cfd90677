#!/usr/bin/env node
// The entry of dist/forknet.bundle.mjs: `incusx forknet dhcp` in one ES
// module (see forknet-one-shot.ts and docs/forknet-dhcp.md, "One-shot
// bundle"). The `incusx-forknet` launcher runs it when the startup snapshot
// cannot be used.
//
//   node forknet.bundle.mjs dhcp [options]           (Incus's "forknet dhcp" shape)
//   node forknet.bundle.mjs forknet dhcp [options]   (the same argv as `incusx`)
import { fileURLToPath } from "node:url";
import { forknetBundleMain } from "./forknet-one-shot.js";

const status = await forknetBundleMain(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }, [fileURLToPath(import.meta.url)]);
// As bin.ts: a plugin's leaked timer must not keep the process alive.
process.exit(status);
