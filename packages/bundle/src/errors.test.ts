import { ErrorCode, IncusxError } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { BundleError, BundleErrorCode, bundleError } from "./errors.js";

describe("BundleErrorCode", () => {
  it("is the SDK's Bundle* codes without the prefix, so each code is declared once", () => {
    const sdkBundleCodes = Object.entries(ErrorCode).filter(([name]) => name.startsWith("Bundle"));
    expect(Object.entries(BundleErrorCode)).toEqual(sdkBundleCodes.map(([name, code]) => [name.slice("Bundle".length), code]));
  });

  it("keeps the names and codes users branch on", () => {
    expect(BundleErrorCode).toEqual({
      NotFound: "BUNDLE_NOT_FOUND",
      Invalid: "BUNDLE_INVALID",
      FileChanged: "BUNDLE_FILE_CHANGED",
      FileMissing: "BUNDLE_FILE_MISSING",
      ExtraFile: "BUNDLE_EXTRA_FILE",
      ExtraPlugin: "BUNDLE_EXTRA_PLUGIN",
      PluginMismatch: "BUNDLE_PLUGIN_MISMATCH",
      ApiVersion: "BUNDLE_API_VERSION",
      Sdk: "BUNDLE_SDK",
      CreateFailed: "BUNDLE_CREATE_FAILED",
    });
    // The type names the same literals as the SDK's members.
    const code: ErrorCode = BundleErrorCode.FileChanged satisfies "BUNDLE_FILE_CHANGED";
    expect(code).toBe(ErrorCode.BundleFileChanged);
  });
});

describe("BundleError", () => {
  it("is an IncusxError with the first problem's code and one message line per problem", () => {
    const error = new BundleError([
      { code: BundleErrorCode.FileChanged, file: "a", message: "a: changed" },
      { code: BundleErrorCode.FileMissing, file: "b", message: "b: missing" },
    ]);
    expect(error).toBeInstanceOf(IncusxError);
    expect(error.code).toBe("BUNDLE_FILE_CHANGED");
    expect(error.message).toBe("a: changed\nb: missing");
    expect(bundleError(BundleErrorCode.Sdk, ".", "no sdk").problems).toEqual([{ code: "BUNDLE_SDK", file: ".", message: "no sdk" }]);
  });
});
