// What a thrown incusx error looks like to a user and to code branching on
// it, shared by the schema validation tests of @incusx/bundle and @incusx/host.
import { InvalidConfigError, type ValidationIssue } from "@incusx/sdk";

/** The error `run` throws, as name, code, message, plugin id and (for an InvalidConfigError) issues. */
export function failure(run: () => unknown): { name: string; code: string; message: string; pluginId?: string; issues?: readonly ValidationIssue[] } {
  try {
    run();
  } catch (error) {
    const e = error as InvalidConfigError;
    return {
      name: e.constructor.name,
      code: e.code,
      message: e.message,
      ...(e.pluginId === undefined ? {} : { pluginId: e.pluginId }),
      ...(e instanceof InvalidConfigError ? { issues: e.issues } : {}),
    };
  }
  throw new Error("expected an error");
}
