# shellcheck shell=bash
# apt-get helpers shared by scripts/install-deps and bench/install. Source it after
# defining log(); it defines functions only.
#
#   as_root CMD...       run CMD as root (directly, or with sudo)
#   apt_install PKG...   apt-get install PKG..., after one apt-get update per run

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; exit 1
  fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq
    apt_updated=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
