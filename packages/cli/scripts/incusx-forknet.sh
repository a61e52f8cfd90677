#!/bin/sh
# incusx-forknet: `incusx forknet dhcp` for hosts that start one process per
# container (docs/forknet-dhcp.md, "One-shot bundle"). Copied to dist/ by
# scripts/build-forknet-bundle.mjs, beside the files it runs:
#
#   forknet.snapshot.blob  a V8 startup snapshot of the command, run with the
#                          Node.js named in forknet.snapshot.node when that
#                          file's mtime is still exactly that Node.js's (the
#                          build copies it), so a replaced or upgraded Node.js
#                          never gets a blob it did not make, and when
#                          NODE_OPTIONS is empty (V8 flags there make Node.js
#                          refuse the blob);
#   forknet.bundle.mjs     the same command as an ES module, run by `node`
#                          from PATH otherwise.
#
# Only shell built-ins decide (no process before node but for a symlinked
# launcher, resolved by readlink), and node replaces this shell (exec): the
# host's signals and wait reach it directly.
self=$0
if [ -L "$self" ]; then self=$(readlink -f -- "$self") || exit 1; fi
case $self in */*) dir=${self%/*} ;; *) dir=. ;; esac
blob=$dir/forknet.snapshot.blob
sidecar=$dir/forknet.snapshot.node
if [ -z "${NODE_OPTIONS:-}" ] && [ -f "$blob" ] && [ -f "$sidecar" ] && read -r node <"$sidecar" &&
  [ -x "$node" ] && ! [ "$node" -nt "$sidecar" ] && ! [ "$node" -ot "$sidecar" ]; then
  exec "$node" --snapshot-blob "$blob" -- "$@"
fi
exec node "$dir/forknet.bundle.mjs" "$@"
