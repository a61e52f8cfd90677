// The synthetic plugin packages the host start-up benches load: a small
// NIC validator with a config schema, like a real plugin's, so manifest
// reading, schema compilation and module loading are all timed.

/** package.json of synthetic plugin `name` with id `id`. */
export function pluginPackageJson(name, id) {
  return {
    name: `@bench/${name}`,
    version: "1.0.0",
    type: "module",
    exports: { ".": "./index.js" },
    peerDependencies: { "@incusx/sdk": "*" },
    incusx: {
      id,
      apiVersions: ["1"],
      provides: ["nic-validator"],
      // A small config schema like a real plugin's, so its compilation is timed too.
      configSchema: {
        type: "object",
        additionalProperties: false,
        properties: { maxMtu: { type: "integer", minimum: 1280, maximum: 16384, default: 1500 } },
      },
    },
  };
}

/** index.js of synthetic plugin `id` (number `i`). */
export function pluginModule(id, i) {
  return `import { NicValidatorExtension, definePlugin } from "@incusx/sdk";

class Validator${i} {
  constructor(maxMtu) {
    this.nicTypes = ["bridged"];
    this.keys = ["user.bench${i}"];
    this.maxMtu = maxMtu;
  }
  async validate(nic) {
    const value = nic.config["user.bench${i}"];
    return value === undefined || Number(value) <= this.maxMtu
      ? []
      : [{ key: "user.bench${i}", value, message: \`Invalid value for device option "user.bench${i}": Must be at most \${this.maxMtu}\` }];
  }
}

export default definePlugin({
  id: ${JSON.stringify(id)},
  register(registrar) {
    const maxMtu = registrar.config.maxMtu;
    registrar.contribute(NicValidatorExtension, { useFactory: () => new Validator${i}(maxMtu) });
  },
});
`;
}
