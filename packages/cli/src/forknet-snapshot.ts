// The entry of dist/forknet.snapshot.cjs, which the build turns into the V8
// startup snapshot dist/forknet.snapshot.blob: `incusx forknet dhcp` (see
// forknet-one-shot.ts) with its modules and the Node.js built-ins they
// load already compiled and evaluated, so a start neither parses nor runs
// them. The `incusx-forknet` launcher runs it as
//
//   node --snapshot-blob .../forknet.snapshot.blob dhcp [options]
//
// Built by scripts/build-forknet-bundle.mjs with scripts/forknet-snapshot-prelude.cjs
// before it, which makes a top-level read of a per-process value fail the
// build; see docs/forknet-dhcp.md, "One-shot bundle".
import { startupSnapshot } from "node:v8";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { forknetBundleMain, snapshotBlobPath } from "./forknet-one-shot.js";
// Loaded by import() after the options are read: evaluated here, while the
// snapshot is built, so no start evaluates them again.
import "./commands/forknet-dhcp-child.js";
import "./commands/forknet-incus.js";

/** What the prelude (scripts/forknet-snapshot-prelude.cjs) gives the entry. */
declare const __incusxSnapshot: {
  readonly building: boolean;
  checkBuild(): void;
  start(bundleUrl: string): void;
};

function main(): void {
  const io = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() };
  const blob = snapshotBlobPath(process.execArgv, io.cwd);
  if (blob === undefined) {
    io.stderr.write("incusx: error[INTERNAL]: started from a startup snapshot without --snapshot-blob in the Node.js arguments\n");
    process.exit(1);
  }
  // Paths the modules derive from their URL (the native addon, the daemon
  // client, plugin lookups) are those of the bundle beside the blob.
  __incusxSnapshot.start(pathToFileURL(join(dirname(blob), "forknet.bundle.mjs")).href);
  // A snapshot's process has the user's arguments from argv[1].
  void forknetBundleMain(process.argv.slice(1), io, ["--snapshot-blob", blob, "--"]).then((status) => process.exit(status));
}

if (!startupSnapshot.isBuildingSnapshot()) {
  throw new Error("forknet.snapshot.cjs is the entry of a startup snapshot: node --snapshot-blob FILE --build-snapshot forknet.snapshot.cjs");
}
__incusxSnapshot.checkBuild();
startupSnapshot.setDeserializeMainFunction(main);
