// Work in progress (see the issue notes): the plugin registers nothing yet.
import { definePlugin } from "@incusx/sdk";

/** The plugin (contributions land with its issue). */
export default definePlugin({
  id: "incusx.dns",
  register() {},
});
