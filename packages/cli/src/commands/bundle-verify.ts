import { resolve } from "node:path";
import { BundleError, verifyBundle, type BundleProblem } from "@incusx/bundle";
import type { Command, ParsedArgs } from "../command.js";
import { EXIT_FAILURE, EXIT_OK, UsageError, writeError } from "../errors.js";
import type { CliIo } from "../io.js";
import { formatTable } from "../table.js";

/** What `incusx bundle verify --json` prints. */
export interface BundleVerifyResult {
  /** Whether the bundle passed every check. */
  readonly ok: boolean;
  /** Absolute bundle directory. */
  readonly dir: string;
  /** The verified plugins (empty when refused). */
  readonly plugins: readonly { id: string; version: string; package: string; sha256: string }[];
  /** Number of files checked (0 when refused). */
  readonly files: number;
  /** Every problem found, each with its code and the file it names. */
  readonly problems: readonly BundleProblem[];
}

/** `incusx bundle verify`: recomputes a bundle's digests and checks it against bundle.json. */
export const bundleVerify: Command = {
  name: "incusx bundle verify",
  summary: "Check a bundle's files, plugins and API version against its bundle.json",
  description: [
    "Recomputes the SHA-256 of every file of the bundle in DIR and checks it",
    "against bundle.json: a changed byte (BUNDLE_FILE_CHANGED), a missing file",
    "(BUNDLE_FILE_MISSING), a file or plugin not listed (BUNDLE_EXTRA_FILE,",
    "BUNDLE_EXTRA_PLUGIN), a plugin whose digest, version or manifest disagrees",
    "(BUNDLE_PLUGIN_MISMATCH), an API version this incusx does not speak",
    "(BUNDLE_API_VERSION), plugins that would not load this incusx's @incusx/sdk",
    "(BUNDLE_SDK), a bundle.json that is missing or invalid, or gives a plugin a",
    "path or entry that is not a plain relative path (no %, #, ?, backslash, NUL",
    "or ..) (BUNDLE_NOT_FOUND, BUNDLE_INVALID). Each problem is one error line on",
    "stderr naming the file.",
    "",
    "bundle.json is an integrity manifest, not a signature: whoever can write the",
    "bundle can rewrite it. Authenticity comes from a signed package or dm-verity.",
    "",
    "Exit status: 0 verified; 1 refused, one `incusx: error[CODE]: file: problem`",
    "line per problem on stderr; 2 for a wrong command line.",
  ].join("\n"),
  options: {
    json: { type: "boolean", description: "Print {ok, dir, plugins, files, problems} as JSON" },
    "skip-sdk-check": {
      type: "boolean",
      description: "Do not check which @incusx/sdk the plugins resolve (verifying away from the host that runs the bundle)",
    },
  },
  positionals: { name: "DIR", description: "Bundle directory, or its bundle.json" },
  run: verifyCommand,
};

async function verifyCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positionals.length !== 1) throw new UsageError("Give exactly one bundle DIR", bundleVerify.name);
  const dir = resolve(io.cwd, args.positionals[0]!);
  let result: BundleVerifyResult;
  try {
    const bundle = verifyBundle(dir, args.values["skip-sdk-check"] ? { sdkDir: false } : {});
    result = {
      ok: true,
      dir: bundle.dir,
      plugins: bundle.plugins.map((p) => ({ id: p.id, version: p.version, package: p.package, sha256: p.sha256 })),
      files: bundle.fileCount,
      problems: [],
    };
  } catch (error) {
    if (!(error instanceof BundleError)) throw error;
    result = { ok: false, dir, plugins: [], files: 0, problems: error.problems };
    for (const problem of error.problems) writeError(io.stderr, problem.code, problem.message);
  }
  if (args.values.json) {
    io.stdout.write(JSON.stringify(result, null, 2) + "\n");
  } else if (result.ok) {
    io.stdout.write(formatTable(["ID", "VERSION", "PACKAGE", "SHA256"], result.plugins.map((p) => [p.id, p.version, p.package, p.sha256.slice(0, 16)])));
    io.stdout.write(`\nBundle ${result.dir} verified: ${result.plugins.length} plugins, ${result.files} files.\n`);
  }
  return result.ok ? EXIT_OK : EXIT_FAILURE;
}
