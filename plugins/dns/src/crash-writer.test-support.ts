// The writer the crash-safety test kills: rewrites one resolv.conf over and
// over with contents of different lengths until SIGKILLed. Run as plain
// JavaScript transpiled by the test (see crash-safety.test.ts).
// argv: PATH MODE CONTENTS_JSON_FILE; MODE is auto, rename, in-place, or
// naive (truncate, pause, write: the unsafe way, to prove the test catches it).
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { isMountPoint, writeByRename, writeInPlace } from "./safe-write.js";

const [path = "", mode = "auto", contentsFile = ""] = process.argv.slice(2);
const contents = JSON.parse(readFileSync(contentsFile, "utf8")) as string[];
const chosen = mode === "auto" ? ((await isMountPoint(path)) ? "in-place" : "rename") : mode;
const pause = new Int32Array(new SharedArrayBuffer(4));

for (let i = 0; ; i++) {
  const content = contents[i % contents.length]!;
  if (chosen === "naive") {
    const fd = openSync(path, "w");
    Atomics.wait(pause, 0, 0, 2);
    writeSync(fd, content);
    closeSync(fd);
  } else if (chosen === "in-place") {
    await writeInPlace(path, content);
  } else {
    await writeByRename(path, content);
  }
  if (i === contents.length) process.stdout.write(`ready ${chosen}\n`);
}
