import { formatIssues, toIssues, type PrecompiledValidator } from "@incusx/bundle";
import { netnsPath } from "@incusx/linux-net";
import type { NicSpec } from "@incusx/network-runtime";
import { ErrorCode } from "@incusx/sdk";
import type { DaemonNicAttach } from "@incusx/sdk/host";
import { validateNicAttachDocument } from "./generated/document-validators.js";
import { ApiError } from "./responses.js";

const validateDocument = validateNicAttachDocument as PrecompiledValidator;

/**
 * The NIC a `POST /1.0/nics` body asks for, checked against
 * `schemas/daemon-nic-attach.schema.json`. Throws {@link ApiError} 400
 * naming every problem (`request: /interface: must match pattern ...`).
 *
 * @example
 * runtime.attach(nicSpecOf({ instance: "c1", device: "eth0", netns: "c1", interface: "eth0" }))
 */
export function nicSpecOf(body: unknown): NicSpec {
  if (!validateDocument(body)) {
    throw new ApiError(400, formatIssues("request", toIssues(validateDocument.errors, "")), ErrorCode.InvalidConfig);
  }
  const request = body as DaemonNicAttach;
  return {
    instance: request.instance,
    device: request.device,
    interface: request.interface,
    netns: netnsPath(request.netns),
    ...(request.families === undefined ? {} : { families: request.families }),
    ...(request.hostname === undefined ? {} : { hostname: request.hostname }),
    ...(request.release_on_stop === undefined ? {} : { releaseOnStop: request.release_on_stop }),
    ...(request.optimistic_dad === undefined ? {} : { optimisticDad: request.optimistic_dad }),
    ...(request.resolv_conf === undefined
      ? {}
      : { resolvConf: { root: request.resolv_conf.root, ...(request.resolv_conf.path === undefined ? {} : { path: request.resolv_conf.path }) } }),
  };
}
