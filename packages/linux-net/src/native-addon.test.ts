import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadNativeAddon, NATIVE_ADDON_PATH, nativeAddonStatus } from "./native-addon.js";

describe("loadNativeAddon", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "incusx-addon-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("says the addon works on Linux only elsewhere", () => {
    expect(loadNativeAddon(NATIVE_ADDON_PATH, "darwin")).toEqual({
      reason: 'The native addon of @incusx/linux-net works on Linux only (this is "darwin")',
    });
  });

  it("says the addon is not built, and how to build it, when the file is missing", () => {
    const path = join(dir, "incusx_linux_net.node");
    const result = loadNativeAddon(path, "linux");
    expect(result.addon).toBeUndefined();
    expect("reason" in result && result.reason).toMatch(/is not built \(".*incusx_linux_net\.node" does not exist\)/);
    expect("reason" in result && result.reason).toMatch(/pnpm install.*build:native.*python3, make and a C compiler/);
  });

  it("says the addon was built for another architecture when it is a foreign shared object", () => {
    const path = join(dir, "incusx_linux_net.node");
    // The 64-byte header of a 32-bit i386 shared object: dlopen stops at "wrong ELF class".
    const header = Buffer.alloc(64);
    header.write("\x7fELF", "latin1");
    header.set([1, 1, 1], 4);
    header.writeUInt16LE(3, 16);
    header.writeUInt16LE(3, 18);
    header.writeUInt32LE(1, 20);
    writeFileSync(path, header);
    const result = loadNativeAddon(path, "linux");
    expect(result.addon).toBeUndefined();
    expect("reason" in result && result.reason).toMatch(/was built for another Node\.js or architecture \(this is Node\.js v\d+/);
    expect("reason" in result && result.reason).toMatch(/rebuild it with "pnpm install"/);
  });

  it("says the addon failed to load, with the loader's reason, when the file is damaged", () => {
    const path = join(dir, "incusx_linux_net.node");
    writeFileSync(path, "not an ELF file");
    const result = loadNativeAddon(path, "linux");
    expect("reason" in result && result.reason).toMatch(/incusx_linux_net\.node" failed to load: .*file too short; rebuild it/);
  });

  it("refuses a loadable module that is not this addon", () => {
    const path = join(dir, "other.cjs");
    writeFileSync(path, "module.exports = { open() {} };");
    const result = loadNativeAddon(path, "linux");
    expect("reason" in result && result.reason).toMatch(/is not the native addon of @incusx\/linux-net \(no "localPort", "send", "close"\)/);
  });
});

describe.runIf(process.platform === "linux")("the native addon's string arguments", () => {
  // None of these interfaces exists: an addon that truncated a name or an
  // address would get as far as the kernel and fail there with ENODEV.
  const addon = loadNativeAddon().addon!;
  const invalid = { code: "ERR_INVALID_ARG_VALUE" };

  it("refuses interface names over 15 bytes or with a NUL, never truncating them", () => {
    for (const name of ["sec-abcdefghijkXYZ", "sec-abcdefghij\u00e9", "incusx-none0\0x"]) {
      expect(() => addon.replaceAddress!(name, "192.0.2.1", 24, 60, 60, true), name).toThrow(expect.objectContaining(invalid));
      expect(() => addon.linkInfo!(name), name).toThrow(expect.objectContaining(invalid));
      expect(() => addon.open(name, 0, () => {}), name).toThrow(expect.objectContaining(invalid));
    }
  });

  it("refuses an address string longer than INET6_ADDRSTRLEN instead of truncating it into one that parses", () => {
    // Cut to INET6_ADDRSTRLEN - 1 = 45 bytes, this is a valid IPv4-mapped address.
    const long = "0000:0000:0000:0000:0000:ffff:192.168.100.2001234";
    expect(() => addon.replaceAddress!("incusx-none0", long, 128, 60, 60, false)).toThrow(expect.objectContaining(invalid));
    expect(() => addon.replaceAddress!("incusx-none0", "192.0.2.1\0junk", 24, 60, 60, false)).toThrow(expect.objectContaining(invalid));
  });
});

describe.runIf(process.platform === "linux")("the native addon's number arguments", () => {
  // As above, no such interface: a number the addon wrapped or rounded
  // into another would pass the checks and fail later with ENODEV. Within
  // a real link's namespace NaN was prefix length 0 (RTA_DST left out): a
  // default route; -1 was metric 4294967295.
  const addon = loadNativeAddon().addon!;
  const invalid = { code: "ERR_INVALID_ARG_VALUE" };
  const none = "incusx-none0";

  it("refuses a prefix length, metric, lifetime or MTU that is not a whole number in range", () => {
    for (const bad of [Number.NaN, -1, 24.5, Number.POSITIVE_INFINITY, 2 ** 32 + 24]) {
      expect(() => addon.replaceRoute!(none, "192.0.2.0", bad, null, null), `prefix ${bad}`).toThrow(expect.objectContaining(invalid));
      expect(() => addon.deleteRoute!(none, "192.0.2.0", bad, null, null), `prefix ${bad}`).toThrow(expect.objectContaining(invalid));
      expect(() => addon.deleteAddress!(none, "192.0.2.1", bad), `prefix ${bad}`).toThrow(expect.objectContaining(invalid));
      expect(() => addon.replaceRoute!(none, "192.0.2.0", 24, null, bad), `metric ${bad}`).toThrow(expect.objectContaining(invalid));
      expect(() => addon.replaceAddress!(none, "192.0.2.1", 24, bad, 60, false), `lifetime ${bad}`).toThrow(expect.objectContaining(invalid));
      expect(() => addon.setMtu!(none, bad), `MTU ${bad}`).toThrow(expect.objectContaining(invalid));
    }
    // In range, the same calls get as far as the missing link.
    expect(() => addon.replaceRoute!(none, "192.0.2.0", 24, null, 4294967295)).toThrow(expect.objectContaining({ code: "ENODEV" }));
    expect(() => addon.replaceAddress!(none, "192.0.2.1", 32, 4294967295, 0, false)).toThrow(expect.objectContaining({ code: "ENODEV" }));
    expect(() => addon.setMtu!(none, 1500)).toThrow(expect.objectContaining({ code: "ENODEV" }));
  });

  it("refuses a port that is not a whole number from 0 to 65535", () => {
    for (const bad of [Number.NaN, 67.5, -1, 65536]) {
      expect(() => addon.open(none, bad, () => {}), `port ${bad}`).toThrow(expect.objectContaining(invalid));
    }
  });
});

describe.runIf(process.platform === "linux")("nativeAddonStatus", () => {
  it("reports the addon built at install as loaded", () => {
    expect(nativeAddonStatus()).toEqual({ loaded: true });
  });
});
