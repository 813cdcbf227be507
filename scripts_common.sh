# Shared by demo.sh and test.sh: install missing Debian packages, configure and build.
# Runs as root on a fresh Debian 12 (bookworm); with sudo otherwise.
set -euo pipefail
PACKAGES=(cmake g++ make pkg-config python3 libsundials-dev libtomlplusplus-dev catch2 libcli11-dev libfmt-dev
          nlohmann-json3-dev libeigen3-dev libpng-dev gnuplot-nox ffmpeg libopencv-dev libboost-dev
          libopenmpi-dev openmpi-bin clang libclang-rt-14-dev libsfml-dev libx11-dev fonts-dejavu-core xvfb xauth)

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)"
}
