# Quick start: `make demo` and `make test` on a fresh Debian 12 machine with
# Node 20, as root. Both install what is missing first.

PNPM_VERSION := 10.34.8
APT_PACKAGES := iproute2 dnsmasq-base ovn-central ovn-common openvswitch-common tcpdump openvswitch-switch ovn-host lxd lxd-client nftables
STAMP := node_modules/.incusx-setup

.PHONY: demo test setup deps apt pnpm build bench publint clean

demo: setup
	node scripts/demo.mjs

test: setup
	pnpm run typecheck
	node scripts/run-tests.mjs

bench: setup
	node test/bench/host-startup.bench.mjs

publint: setup
	node scripts/publint-all.mjs

setup: apt pnpm deps build

# apt packages for the integration tests (dnsmasq in netns, ovsdb-server, LXD
# 5.0 as the real peer of the Incus state provider: Debian's native lxd, no snap;
# it needs nftables). The tests never use a system LXD (where systemd enables
# the package's lxd.socket): each runs its own in a namespace of its own.
apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing apt packages:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# A pinned pnpm from npm (corepack cannot verify the registry's signatures here).
pnpm:
	@if [ "$$(pnpm --version 2>/dev/null)" != "$(PNPM_VERSION)" ]; then \
	  npm install -g --no-audit --no-fund pnpm@$(PNPM_VERSION); \
	fi

deps:
	CI=true pnpm install --frozen-lockfile

build:
	pnpm run build

clean:
	pnpm run clean
