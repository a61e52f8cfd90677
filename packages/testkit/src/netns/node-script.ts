import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

// A module-resolution hook that runs workspace TypeScript straight from
// source in a child Node (Node 20 cannot strip types itself): `.ts` files
// are transpiled with the repository's `typescript` (types dropped, no
// type check), and a relative `./x.js` import falls back to `./x.ts`, as
// TypeScript's NodeNext sources are written.
function hooksSource(typescriptUrl: string): string {
  return `
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from ${JSON.stringify(typescriptUrl)};
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    const relative = specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("file:");
    if (relative && specifier.endsWith(".js") && context.parentURL?.endsWith(".ts")) {
      return next(specifier.slice(0, -3) + ".ts", context);
    }
    throw error;
  }
}
export async function load(url, context, next) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return next(url, context);
  const fileName = fileURLToPath(url);
  const { outputText } = ts.transpileModule(readFileSync(fileName, "utf8"), {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      experimentalDecorators: true,
      inlineSourceMap: true,
    },
  });
  return { format: "module", source: outputText, shortCircuit: true };
}
`;
}

/**
 * The Node command line that runs `scriptPath` with `args`: plain for
 * JavaScript, with a TypeScript loader (hooks written into `dir`) and the
 * workspace's `@incusx/source` export condition for a `.ts` script, so a
 * fixture can import workspace packages from source like vitest does.
 * Needs the `typescript` package for `.ts` scripts.
 */
export function nodeArgv(scriptPath: string, args: readonly string[], dir: string): string[] {
  if (!scriptPath.endsWith(".ts") && !scriptPath.endsWith(".mts")) return [process.execPath, scriptPath, ...args];
  let typescriptPath: string;
  try {
    typescriptPath = createRequire(import.meta.url).resolve("typescript");
  } catch (cause) {
    throw new Error(`Running the TypeScript script "${scriptPath}" needs the "typescript" package`, { cause });
  }
  const hooks = join(dir, "ts-hooks.mjs");
  writeFileSync(hooks, hooksSource(pathToFileURL(typescriptPath).href));
  const register = join(dir, "ts-register.mjs");
  writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  return [process.execPath, "--conditions=@incusx/source", "--import", pathToFileURL(register).href, scriptPath, ...args];
}
