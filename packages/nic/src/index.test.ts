// The public API of @incusx/nic, listed so every new export is deliberate.
// Types are not visible at run time; src/index.ts lists them.
import { expect, it } from "vitest";
import * as nic from "./index.js";

it("exports exactly the NIC validation and lifecycle API", () => {
  expect(Object.keys(nic).sort()).toEqual(["NicLifecycle", "NicValidationService", "VALIDATOR_PROBLEM_KEY", "commonNicRules", "natDiff"]);
});
