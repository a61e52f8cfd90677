// The public API of @incusx/cli: the `incusx` command, runnable in-process.

export { main } from "./main.js";
export type { CliIo, TextSink } from "./io.js";
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./errors.js";
export type { ListedPlugin } from "./commands/plugins-list.js";
