import { describe, expect, it } from "vitest";
import { parseEndpoints } from "./endpoint.js";
import { OvsdbInvalidArgumentError } from "./errors.js";

describe("parseEndpoints", () => {
  it("reads an OVN connection string with unix and tcp members", () => {
    expect(parseEndpoints("unix:/run/ovn/ovnnb_db.sock, tcp:127.0.0.1:6641,tcp:[::1]:6643")).toEqual([
      { kind: "unix", path: "/run/ovn/ovnnb_db.sock", text: "unix:/run/ovn/ovnnb_db.sock" },
      { kind: "tcp", host: "127.0.0.1", port: 6641, text: "tcp:127.0.0.1:6641" },
      { kind: "tcp", host: "::1", port: 6643, text: "tcp:[::1]:6643" },
    ]);
  });

  it.each(["", "ssl:127.0.0.1:6641", "tcp:127.0.0.1", "tcp:127.0.0.1:0", "tcp:127.0.0.1:70000", "tcp:::1:6641", "unix:", "punix:/x"])(
    "refuses %j with a typed error",
    (text) => {
      expect(() => parseEndpoints(text)).toThrow(OvsdbInvalidArgumentError);
    },
  );
});
