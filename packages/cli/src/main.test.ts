import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../test/run-cli.js";
import { COMMANDS } from "./main.js";

const cwd = fileURLToPath(new URL("../test/fixtures/", import.meta.url));
const ownVersion = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

describe("incusx help and version", () => {
  it.each([[["--help"]], [["-h"]]])("prints the command overview for %j", async (argv) => {
    const run = await runCli(argv, cwd);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: incusx <command>/);
    expect(run.stdout).toContain("plugins list");
    expect(run.stdout).toContain("plugins check");
    expect(run.stderr).toBe("");
  });

  it("prints the subcommands of incusx plugins", async () => {
    const run = await runCli(["plugins", "--help"], cwd);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: incusx plugins <subcommand>/);
    expect(run.stdout).toMatch(/^ {2}list +List plugins/m);
    expect(run.stdout).toMatch(/^ {2}check +Start a host/m);
  });

  it.each([
    [["plugins", "list", "--help"], "incusx plugins list", ["--config FILE", "--json", "MODULE..."]],
    [["plugins", "check", "-h"], "incusx plugins check", ["--config FILE", "--json"]],
  ])("prints the options of %j", async (argv, name, mentions) => {
    const run = await runCli(argv, cwd);
    expect(run.status).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe(`Usage: ${name} [options]${name.endsWith("list") ? " [MODULE...]" : ""}`);
    for (const text of mentions) expect(run.stdout).toContain(text);
    expect(run.stdout).toContain("-h, --help");
  });

  it("shows help even when other arguments are wrong", async () => {
    const run = await runCli(["plugins", "list", "--bogus", "--help"], cwd);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: incusx plugins list/);
  });

  it("prints the package version", async () => {
    const run = await runCli(["--version"], cwd);
    expect(run).toEqual({ status: 0, stdout: `${ownVersion}\n`, stderr: "" });
  });
});

describe("incusx usage errors", () => {
  it.each([
    [[], "Missing command", "incusx"],
    [["frobnicate"], 'Unknown command "frobnicate"', "incusx"],
    [["--colour"], 'Unknown option "--colour"', "incusx"],
    [["plugins"], 'Missing subcommand of "incusx plugins"', "incusx plugins"],
    [["plugins", "remove"], 'Unknown subcommand "remove" of "incusx plugins"', "incusx plugins"],
    [["plugins", "--json"], 'Unknown option "--json" of "incusx plugins"', "incusx plugins"],
    [["plugins", "list", "--bogus"], 'Unknown option "--bogus"', "incusx plugins list"],
    [["plugins", "list", "-x"], 'Unknown option "-x"', "incusx plugins list"],
    [["plugins", "list", "--config"], 'Option "--config" needs a value', "incusx plugins list"],
    [["plugins", "list", "--config", "--json"], 'Option "--config" needs a value', "incusx plugins list"],
    [["plugins", "list", "--json=yes"], 'Option "--json" takes no value', "incusx plugins list"],
    [["plugins", "list", "--config", "a.json", "--config", "b.json"], 'Option "--config" given more than once', "incusx plugins list"],
    [["plugins", "list", "--config", "host-ok.json", "./plugin-good"], "Give either MODULE arguments or --config, not both", "incusx plugins list"],
    [["plugins", "check", "extra"], 'Unexpected argument "extra"', "incusx plugins check"],
  ])("rejects %j with exit status 2", async (argv, message, command) => {
    const run = await runCli(argv, cwd);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`incusx: error[USAGE]: ${message}\nRun "${command} --help" for usage.\n`);
  });

  it("accepts an option value given with = even when it starts with a dash", async () => {
    const run = await runCli(["plugins", "list", "--config=-missing.json"], cwd);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^incusx: error\[INVALID_CONFIG\]: .*-missing\.json: cannot read/);
  });
});

describe("incusx command table", () => {
  it("lists each command with the summary and name of the command it loads", async () => {
    for (const [group, { commands }] of Object.entries(COMMANDS)) {
      for (const [name, entry] of Object.entries(commands)) {
        const command = await entry.load();
        expect(command.name).toBe(`incusx ${group} ${name}`);
        expect(entry.summary).toBe(command.summary);
      }
    }
  });
});
