import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startOvnNorthbound } from "./standalone.js";

describe("startOvnNorthbound", () => {
  it("starts a real NB database that ovn-nbctl can write, and stop removes every trace", async () => {
    const nb = await startOvnNorthbound();
    try {
      await nb.nbctl("lr-add", "lr0");
      expect((await nb.nbctl("lr-list")).trim()).toMatch(/\(lr0\)$/);
      await expect(nb.sbctl("show")).rejects.toThrow(/without northd/);
    } finally {
      await nb.stop();
    }
    expect(existsSync(nb.dir)).toBe(false);
    await expect(nb.nbctl("lr-list")).rejects.toThrow();
  });
});
