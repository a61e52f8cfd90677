#!/usr/bin/env node
// The `incusx` executable: runs main() on the process's own streams.
import { main } from "./main.js";

const status = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
// Exit explicitly: a plugin that leaks a timer must not keep the command
// alive after its work is done. Writes to pipes and files are synchronous
// on Linux, so nothing printed is lost.
process.exit(status);
