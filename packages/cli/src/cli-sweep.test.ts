// Every command of the table behaves the same way at its edges: --help
// exits 0 and documents the exit statuses, data commands take --json, a
// wrong command line is a USAGE error with its code on stderr, and long
// operations show progress only on a terminal and never with --json.
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCommandLine } from "./command.js";
import type { CliIo } from "./io.js";
import { COMMANDS, main } from "./main.js";

const entries = Object.entries(COMMANDS).flatMap(([group, g]) =>
  Object.entries(g.commands).map(([name, entry]) => ({ group, name, entry, label: `incusx ${group} ${name}` })),
);

// Commands whose output is data (tables, reports, events): all of them print
// something a program may want to read.
const DATA_COMMANDS = entries.map((e) => e.label);

interface Captured {
  status: number;
  stdout: string;
  stderr: string;
}

async function run(argv: readonly string[], cwd: string, stderrIsTTY = false): Promise<Captured> {
  const out = { status: 0, stdout: "", stderr: "" };
  const io: CliIo = {
    stdout: { write: (chunk: string) => (out.stdout += chunk) },
    stderr: Object.assign({ write: (chunk: string) => (out.stderr += chunk) }, stderrIsTTY ? { isTTY: true } : {}),
    cwd,
  };
  out.status = await main(argv, io);
  return out;
}

describe.each(entries)("$label", ({ group, name, entry, label }) => {
  it("--help exits 0 and documents its exit statuses and error lines", async () => {
    const help = await run([group, name, "--help"], process.cwd());
    expect(help.status).toBe(0);
    expect(help.stderr).toBe("");
    expect(help.stdout).toMatch(new RegExp(`^Usage: ${label} `));
    expect(help.stdout).toMatch(/^Exit status: 0 /m);
    const flat = help.stdout.replace(/\s+/g, " ");
    expect(flat).toContain("2 for a wrong command line");
    expect(flat).toContain("incusx: error[CODE]:");
  });

  it("is listed with the summary the command itself has", async () => {
    const command = await entry.load();
    expect(command.name).toBe(label);
    expect(command.summary).toBe(entry.summary);
  });

  it.runIf(DATA_COMMANDS.includes(label))("takes --json, and says so in --help", async () => {
    const command = await entry.load();
    expect(command.options.json?.type).toBe("boolean");
    expect(parseCommandLine(command, ["--json"])).toMatchObject({ values: { json: true } });
    expect(await run([group, name, "--help"], process.cwd())).toMatchObject({ stdout: expect.stringMatching(/^ +--json +\S/m) });
  });

  it("refuses an unknown option with exit 2 and a USAGE error on stderr only", async () => {
    const wrong = await run([group, name, "--no-such-option"], process.cwd());
    expect(wrong.status).toBe(2);
    expect(wrong.stdout).toBe("");
    expect(wrong.stderr).toBe(`incusx: error[USAGE]: Unknown option "--no-such-option"\nRun "${label} --help" for usage.\n`);
  });
});

describe("progress of long operations", () => {
  // Inside the CLI package, whose node_modules holds the built-in plugins.
  const cliPackage = fileURLToPath(new URL("../", import.meta.url));
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(cliPackage, ".tmp-sweep-"));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("bundle create shows its steps on a terminal and clears the line before the results", async () => {
    const created = await run(["bundle", "create", "--out", "tty", "@incusx/plugin-dhcpv6"], work, true);
    expect(created.status, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/^\r\x1b\[KReading 1 plugin package\(s\) and their requirements\.\.\. \(\d+\.\d s\)/);
    expect(created.stderr).toContain("\r\x1b[KCopying 1 plugin(s) and their dependencies to ");
    expect(created.stderr.endsWith("\r\x1b[K")).toBe(true);
    expect(created.stdout).toMatch(/^Wrote bundle "incusx" 0\.0\.0 /m);
  });

  it("bundle create is quiet with --json on a terminal, and when stderr is not a terminal", async () => {
    const json = await run(["bundle", "create", "--json", "--out", "json", "@incusx/plugin-dhcpv6"], work, true);
    expect(json.status).toBe(0);
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toMatchObject({ plugins: [{ id: "incusx.dhcpv6" }] });
    const piped = await run(["bundle", "create", "--out", "piped", "@incusx/plugin-dhcpv6"], work);
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe("");
  });

  it("nat reconcile clears its status line before an error, which keeps its code", async () => {
    const failed = await run(["nat", "reconcile", "--state", "missing.json", "--ovn-nb", "unix:/nonexistent.sock"], work, true);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/^\r\x1b\[KStarting the host with the OVN external-address plugin\.\.\. \(\d+\.\d s\)\r\x1b\[Kincusx: error\[[A-Z_]+\]: /);
    const quiet = await run(["nat", "reconcile", "--json", "--state", "missing.json", "--ovn-nb", "unix:/nonexistent.sock"], work, true);
    expect(quiet.stderr).toMatch(/^incusx: error\[[A-Z_]+\]: /);
  });
});
