#!/usr/bin/env node
// Copies schemas/*.schema.json into packages/host/schemas/, where the
// published @incusx/host reads them (its package.json "files" lists
// "schemas"). Run by the root `build` script before `tsc -b`. The copy is
// git-ignored: schemas/ is the only source.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const from = join(root, "schemas");
const to = join(root, "packages", "host", "schemas");

rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
const files = readdirSync(from).filter((name) => name.endsWith(".schema.json")).sort();
for (const name of files) copyFileSync(join(from, name), join(to, name));
