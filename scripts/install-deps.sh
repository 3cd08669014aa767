#!/usr/bin/env bash
# Installs what ksteer needs on Debian 12 (build, tests, benchmarks, make
# deb and its test: debhelper, dpkg-dev; systemd for systemd-analyze, man-db
# and groff for the man pages, prometheus for promtool): only what is
# missing, so a second run is quick.
set -euo pipefail
pkgs=(
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
	liburing-dev libssl-dev libclang-rt-14-dev
	iproute2 ethtool procps psmisc python3 jq
	openssl curl gnutls-bin nginx tshark wrk tcpdump chromium ngtcp2-client ngtcp2-server
	prometheus wget openssh-client openssh-server
	debhelper dpkg-dev build-essential systemd man-db groff-base
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; the answer is no.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# nginx from Debian starts a service on :80, prometheus (the tests use its
# promtool) one on :9090; the tests run their own (sshd too).
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now nginx prometheus >/dev/null 2>&1 || true
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
