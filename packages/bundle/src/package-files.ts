import { existsSync } from "node:fs";
import { join } from "node:path";
import { walkFiles } from "./digest.js";

// Files npm always packs, whatever "files" says.
const ALWAYS = /^(package\.json|(readme|license|licence|changelog)(\.[^/]*)?)$/i;
// Never packed: installed dependencies and VCS data.
const NEVER = new Set(["node_modules", ".git"]);

/**
 * The files of the package in `dir` that an installed copy holds, as
 * "/"-separated relative paths: what its package.json `"files"` selects
 * (directories, `*`, `**` and `!` negations, later patterns winning, as in
 * npm), plus package.json, README, LICENSE and CHANGELOG; every file when
 * `"files"` is absent. A package with a native addon (`"gypfile": true` or a
 * binding.gyp) also keeps its built `build/Release/*.node`, which an install
 * would have compiled. Symlinks and node_modules are left out.
 */
export function packageFiles(dir: string, pkg: { files?: unknown; gypfile?: unknown }): string[] {
  const all = walkFiles(dir, NEVER).filter((entry) => entry.kind === "file").map((entry) => entry.path);
  const patterns = Array.isArray(pkg.files) ? pkg.files.filter((p): p is string => typeof p === "string") : undefined;
  const native = pkg.gypfile === true || existsSync(join(dir, "binding.gyp"));
  return all.filter((path) => {
    if (ALWAYS.test(path)) return true;
    if (native && /^build\/Release\/[^/]+\.node$/.test(path)) return true;
    if (patterns === undefined) return true;
    let included = false;
    for (const pattern of patterns) {
      const negated = pattern.startsWith("!");
      if (matches(negated ? pattern.slice(1) : pattern, path)) included = !negated;
    }
    return included;
  });
}

// A pattern selects a path when it matches the path or one of its parent
// directories ("dist" selects "dist/index.js").
function matches(pattern: string, path: string): boolean {
  const regex = globToRegExp(pattern.replace(/^\.?\/+/, "").replace(/\/+$/, ""));
  const parts = path.split("/");
  for (let n = parts.length; n > 0; n--) {
    if (regex.test(parts.slice(0, n).join("/"))) return true;
  }
  return false;
}

function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      if (glob[i + 2] === "/") {
        source += "(?:.*/)?";
        i += 2;
      } else {
        source += ".*";
        i += 1;
      }
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
