import { describe, expect, it } from "vitest";
import * as api from "./index.js";

// The public API, listed: a new export is a deliberate change to this list.
describe("@incusx/network-runtime barrel", () => {
  it("exports exactly the runtime, its two constants and (as types) its options", () => {
    expect(Object.keys(api).sort()).toEqual(["CLIENT_DUID_KEY", "LINK_FAILED", "NetworkRuntime"]);
    expect(api.LINK_FAILED).toBe("LINK_FAILED");
    expect(api.CLIENT_DUID_KEY).toBe("client.duid");
  });
});
