/** The extension points `incusx plugin new` has a skeleton for. */
export type TemplatePoint = "nic-validator" | "dhcp-runner" | "nat-backend";

/** What a new plugin package is made from. */
export interface PluginTemplateInput {
  readonly packageName: string;
  readonly id: string;
  readonly point: TemplatePoint;
  readonly description: string;
  readonly apiVersion: string;
  readonly sdkVersion: string;
  /** The manifest's config schema, JSON text. */
  readonly configSchema: string;
}

const IMPLEMENTATIONS: Record<TemplatePoint, { file: string; suffix: string }> = {
  "nic-validator": { file: "validator", suffix: "Validator" },
  "dhcp-runner": { file: "runner", suffix: "Runner" },
  "nat-backend": { file: "nat-backend", suffix: "NatBackend" },
};

/** The `{{name}}` values the templates use. */
export function pluginTemplateValues(input: PluginTemplateInput): Record<string, string> {
  const short = input.id.split(".").at(-1)!;
  const className = short
    .split(/[-_]/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join("")
    .replace(/^(\d)/, "P$1");
  const impl = IMPLEMENTATIONS[input.point];
  return {
    packageName: input.packageName,
    id: input.id,
    point: input.point,
    description: JSON.stringify(input.description).slice(1, -1),
    apiVersion: input.apiVersion,
    className,
    implName: `${className}${impl.suffix}`,
    implFile: impl.file,
    nicKey: `${short}.mode`,
    configSchema: indent(JSON.stringify(JSON.parse(input.configSchema), null, 2), "    "),
    sdkRange: `^${input.sdkVersion}`,
    testkitRange: `^${input.sdkVersion}`,
    typescriptRange: "^5.9.0",
    vitestRange: "^3.2.0",
  };
}

/** `text` with every `{{name}}` replaced by its value; an unknown name is an error, so templates cannot ship holes. */
export function renderTemplate(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`Template placeholder "{{${name}}}" has no value`);
    return value;
  });
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line, i) => (i === 0 ? line : prefix + line))
    .join("\n");
}
