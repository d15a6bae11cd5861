#!/usr/bin/env bash
# Installs the Debian packages Yagura's tests drive for real (syslog
# clients, …). Installs only what is missing, so repeated runs are quick.
set -euo pipefail

# command (or a module file, as a glob) → Debian package that provides it
declare -A needs=(
  [logger]=bsdutils
  [nft]=nftables
  [named-checkzone]=bind9-utils
  [rsyslogd]=rsyslog
  ['/usr/lib/*/rsyslog/lmnsd_gtls.so']=rsyslog-gnutls
  ['/usr/lib/*/rsyslog/omrelp.so']=rsyslog-relp
  [pdftotext]=poppler-utils
  [chromium]=chromium
  ['/usr/share/fonts/opentype/ipafont-gothic/ipag*.ttf']=fonts-ipafont-gothic
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf']=fonts-dejavu-core
)

missing=()
for cmd in "${!needs[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || compgen -G "$cmd" >/dev/null || missing+=("${needs[$cmd]}")
done

# syslog-ng conflicts with rsyslog in Debian (both provide
# system-log-daemon), so it is unpacked beside it instead of installed:
# /opt/yagura-deps/syslog-ng, run through the wrapper /usr/local/bin/syslog-ng.
install_syslog_ng() {
  local root=/opt/yagura-deps/syslog-ng tmp
  apt-get install -y -qq --no-install-recommends libivykis0 libnet1 libwrap0 libjson-c5 libpcre3 libcurl4 libglib2.0-0
  tmp=$(mktemp -d)
  chmod 755 "$tmp" # apt-get download runs as _apt
  (cd "$tmp" && apt-get download -qq syslog-ng-core syslog-ng-mod-http)
  mkdir -p "$root"
  for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$root"; done
  rm -rf "$tmp"
  local mods
  mods=$(echo "$root"/usr/lib/syslog-ng/3.*)
  cat >/usr/local/bin/syslog-ng <<WRAP
#!/bin/sh
# syslog-ng unpacked beside rsyslog by yagura's scripts/install-deps.sh
export LD_LIBRARY_PATH=$root/usr/lib/syslog-ng
exec $root/usr/sbin/syslog-ng --module-path=$mods "\$@"
WRAP
  chmod 755 /usr/local/bin/syslog-ng
}
need_syslog_ng=0
command -v syslog-ng >/dev/null 2>&1 || need_syslog_ng=1

if [ ${#missing[@]} -eq 0 ] && [ $need_syslog_ng -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} $([ $need_syslog_ng -eq 1 ] && echo syslog-ng); run this script as root (sudo $0)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]} $([ $need_syslog_ng -eq 1 ] && echo syslog-ng-core syslog-ng-mod-http)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ $need_syslog_ng -eq 1 ]; then
  install_syslog_ng
fi
