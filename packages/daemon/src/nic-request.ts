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
  if (request.resolv_conf !== undefined) {
    // Per-NIC resolv.conf belongs to the network runtime (NicSpec.resolvConf), which does not keep one yet.
    throw new ApiError(400, 'request: /resolv_conf: this daemon\'s network runtime keeps no per-NIC resolv.conf yet', ErrorCode.InvalidConfig);
  }
  return {
    instance: request.instance,
    device: request.device,
    interface: request.interface,
    netns: netnsPath(request.netns),
    ...(request.families === undefined ? {} : { families: request.families }),
    ...(request.hostname === undefined ? {} : { hostname: request.hostname }),
    ...(request.release_on_stop === undefined ? {} : { releaseOnStop: request.release_on_stop }),
  };
}
