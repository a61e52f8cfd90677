// resolv.conf inside a container's root, as the host sees it: every
// component below the root is the container's to plant links in, and a
// link anywhere on the way must not send the write onto the host.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdir, readFile, readdir, rename, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ResolverConfig } from "@incusx/sdk";
import { MemoryLogSink } from "@incusx/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { ContainerRoot } from "./container-root.js";
import { UnsafeTargetError } from "./errors.js";
import { tempDir } from "./fs.test-support.js";
import { MARKER } from "./resolv-conf.js";
import { ResolvConfSink, type ResolvConfSinkOptions } from "./resolv-conf-sink.js";
import { isMountedOver, readTarget, writeByRename, writeInPlace } from "./safe-write.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const HOST = "nameserver 203.0.113.1\n";
const canBindMount = process.getuid?.() === 0 && spawnSync("unshare", ["--mount", "true"]).status === 0;

/** A container root next to a stand-in for the host's /etc (holding a resolv.conf the container must not reach). */
async function layout(): Promise<{ base: string; root: string; hostEtc: string }> {
  const t = await tempDir();
  cleanups.push(t.remove);
  const root = join(t.dir, "root");
  const hostEtc = join(t.dir, "host-etc");
  await mkdir(root);
  await mkdir(hostEtc);
  await writeFile(join(hostEtc, "resolv.conf"), HOST);
  return { base: t.dir, root, hostEtc };
}

function config(nameservers: string[]): ResolverConfig {
  return { nameservers, search: [], options: [], links: [], static: { nameservers: [], search: [], options: [] } };
}

function sink(options: ResolvConfSinkOptions): ResolvConfSink {
  return new ResolvConfSink(options, new MemoryLogSink().logger("incusx.dns"));
}

/** Every way of writing `path` inside `root`, each of which must be refused for `reason`. */
async function expectRefused(root: string, path: string, reason: string): Promise<void> {
  const inRoot = new ContainerRoot(root);
  const attempts: [string, () => Promise<unknown>][] = [
    ["readTarget", () => readTarget(path, inRoot)],
    ["writeByRename", () => writeByRename(path, `${MARKER}\n`, inRoot)],
    ["writeInPlace", () => writeInPlace(path, `${MARKER}\n`, inRoot)],
    ...(["rename", "in-place", "auto"] as const).map((writeMode): [string, () => Promise<unknown>] => [
      `sink ${writeMode}`,
      () => sink({ root, path, writeMode, takeOver: true }).apply(config(["192.0.2.1"])),
    ]),
  ];
  for (const [name, attempt] of attempts) {
    const error = await attempt().then(
      (value) => ({ resolved: value }),
      (e: unknown) => e,
    );
    expect(error, name).toBeInstanceOf(UnsafeTargetError);
    expect(error, name).toMatchObject({ code: "UNSAFE_TARGET", reason });
  }
}

describe("a resolv.conf inside a container root", () => {
  it("is written below the root, through a rename, and read back", async () => {
    const { root } = await layout();
    await mkdir(join(root, "etc"));
    const s = sink({ root, path: "/etc/resolv.conf" });
    expect(s.name).toBe(`resolv.conf ${root}/etc/resolv.conf`);
    await s.apply(config(["192.0.2.53"]));
    expect(await readFile(join(root, "etc", "resolv.conf"), "utf8")).toBe(`${MARKER}\nnameserver 192.0.2.53\n`);
    expect(await readTarget("/etc/resolv.conf", new ContainerRoot(root))).toBe(`${MARKER}\nnameserver 192.0.2.53\n`);
    expect(s.lastOutcome).toBe("written");
  });

  it.each([
    ["an absolute link", (hostEtc: string) => hostEtc],
    ["a relative link", () => "../host-etc"],
  ])("refuses a parent directory that is %s to the host's /etc, and writes nothing there", async (_, target) => {
    const { root, hostEtc } = await layout();
    await symlink(target(hostEtc), join(root, "etc"));
    await expectRefused(root, "/etc/resolv.conf", "symlink");
    expect(await readFile(join(hostEtc, "resolv.conf"), "utf8")).toBe(HOST);
    expect(await readdir(hostEtc)).toEqual(["resolv.conf"]);
  });

  it("refuses a symbolic link in any component of the path, not only the last directory", async () => {
    const { base, root } = await layout();
    // /var -> the host's /var; /var/run/resolvconf is then a real directory of the host.
    const hostVar = join(base, "host-var");
    await mkdir(join(hostVar, "run", "resolvconf"), { recursive: true });
    await symlink(hostVar, join(root, "var"));
    await expectRefused(root, "/var/run/resolvconf/resolv.conf", "symlink");
    expect(await readdir(join(hostVar, "run", "resolvconf"))).toEqual([]);
  });

  it("refuses a symbolic link as the file itself, as on the host", async () => {
    const { root, hostEtc } = await layout();
    await mkdir(join(root, "etc"));
    await symlink(join(hostEtc, "resolv.conf"), join(root, "etc", "resolv.conf"));
    await expectRefused(root, "/etc/resolv.conf", "symlink");
    expect(await readFile(join(hostEtc, "resolv.conf"), "utf8")).toBe(HOST);
  });

  it("refuses a path that climbs out of the root or is not absolute", async () => {
    const { root, hostEtc } = await layout();
    await mkdir(join(root, "etc"));
    for (const path of ["/../host-etc/resolv.conf", "/etc/../../host-etc/resolv.conf", "etc/resolv.conf", "/etc/./resolv.conf", "/etc//resolv.conf"]) {
      await expectRefused(root, path, "outside-root");
    }
    expect(await readdir(hostEtc)).toEqual(["resolv.conf"]);
  });

  it("refuses to write once the root is another directory (a /proc/PID/root whose PID was reused)", async () => {
    const { base, root, hostEtc } = await layout();
    await mkdir(join(root, "etc"));
    // /proc/PID/root is a link to the process's root: stand in for it with a link we can swap.
    const procRoot = join(base, "proc-root");
    await symlink(root, procRoot);
    const s = sink({ root: procRoot, path: "/etc/resolv.conf", takeOver: true });
    await s.apply(config(["192.0.2.53"]));
    expect(await readFile(join(root, "etc", "resolv.conf"), "utf8")).toContain("192.0.2.53");

    // The container is gone and its PID now names a process whose root is the host's.
    const hostRoot = join(base, "host-root");
    await mkdir(hostRoot);
    await rename(hostEtc, join(hostRoot, "etc"));
    await symlink(hostRoot, `${procRoot}.new`);
    await rename(`${procRoot}.new`, procRoot);
    const error = await s.apply(config(["192.0.2.54"])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeTargetError);
    expect(error).toMatchObject({ code: "UNSAFE_TARGET", reason: "root-changed" });
    expect((error as Error).message).toContain(`"${procRoot}" is no longer the directory it was`);
    expect(await readFile(join(hostRoot, "etc", "resolv.conf"), "utf8")).toBe(HOST);
    expect(await readdir(join(hostRoot, "etc"))).toEqual(["resolv.conf"]);
  });

  it("says nothing exists when the root itself is gone (the container stopped)", async () => {
    const { base } = await layout();
    expect(await readTarget("/etc/resolv.conf", new ContainerRoot(join(base, "no-such-root")))).toBeUndefined();
  });
});

describe.runIf(canBindMount)("a resolv.conf bind-mounted inside the container's own mount namespace", () => {
  // A rename from the host's mount namespace is not refused there: it would
  // replace the file under the mount, which the container never sees.
  it("is rewritten in place (auto), so the mount's source gets the content and not the file under the mount", async () => {
    const { base, root } = await layout();
    await mkdir(join(root, "etc"));
    const mountPoint = join(root, "etc", "resolv.conf");
    const source = join(base, "source-resolv.conf");
    await writeFile(mountPoint, "");
    await writeFile(source, `${MARKER}\nnameserver 192.0.2.1\n`);
    // A container's mount namespace: the bind mount lives and dies with this process.
    const script = 'mount --bind "$1" "$2" && echo ready && exec sleep 600';
    const child = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", script, "sh", source, mountPoint], { stdio: ["ignore", "pipe", "inherit"] });
    cleanups.push(async () => {
      child.kill("SIGKILL");
      if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
    });
    const [line] = (await once(child.stdout!, "data")) as [Buffer];
    expect(line.toString()).toBe("ready\n");

    // As a host sees a running container: its root through /proc/PID/root, its mounts with it.
    const s = sink({ root: `/proc/${child.pid}/root${root}`, path: "/etc/resolv.conf" });
    await s.apply(config(["192.0.2.53", "198.51.100.53"]));
    expect(await readFile(source, "utf8")).toBe(`${MARKER}\nnameserver 192.0.2.53\nnameserver 198.51.100.53\n`);
    expect(await readFile(mountPoint, "utf8")).toBe("");
    expect(await readdir(join(root, "etc"))).toEqual(["resolv.conf"]);
    expect(await isMountedOver("/etc/resolv.conf", new ContainerRoot(`/proc/${child.pid}/root${root}`))).toBe(true);
    expect(await isMountedOver("/etc/resolv.conf", new ContainerRoot(root))).toBe(false);
  });
});
