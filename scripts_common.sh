# Shared by demo.sh and test.sh: install missing Debian packages, configure and build.
# Runs as root on a fresh Debian 12 (bookworm); with sudo otherwise.
# Both steps print a short progress line now and then (not every package or every compiler line);
# the full output goes to a log whose path is printed, and its last lines are shown on a failure.
set -euo pipefail
# Every package the two commands need on a fresh Debian 12, checked with
# ../shared/tools/fresh-debian.sh. libomp-14-dev: Debian's SUNDIALS CMake config asks for OpenMP,
# which clang (the fuzz preset) finds only with it.
PACKAGES=(cmake g++ make pkg-config python3 libsundials-dev libtomlplusplus-dev catch2 libcli11-dev libfmt-dev
          nlohmann-json3-dev libeigen3-dev libpng-dev gnuplot-nox ffmpeg libopencv-dev libboost-dev
          libopenmpi-dev openmpi-bin clang libclang-rt-14-dev libomp-14-dev libsfml-dev libx11-dev
          fonts-dejavu-core xvfb xauth)
LOG_DIR=build/logs

# Reads a command's output on stdin and writes it whole to the log $1. Prints a progress line
# whenever the share done has moved on by 10 points: mode "cmake" reads the share from the build's
# "[ 42%]" lines, mode "apt" counts apt's "Get:" and "Setting up" lines against $3 packages.
# (A bash loop, not awk: Debian's mawk buffers a pipe and would print nothing until the end.)
progress_filter() {
  local log=$1 mode=$2 total=${3:-0} label=${4:-} line pct last=-10 got=0 glast=0 set=0
  : >"$log"
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$log"
    if [ "$mode" = cmake ] && [[ $line =~ ^\[\ *([0-9]+)%\]\ (.*)$ ]]; then
      pct=${BASH_REMATCH[1]}
      if [ "$pct" -ge $((last + 10)) ] || { [ "$pct" -eq 100 ] && [ "$last" -lt 100 ]; }; then
        last=$((pct - pct % 10))
        local what=${BASH_REMATCH[2]#Building CXX object }
        printf '  %s %3d%%  %s\n' "$label" "$pct" "${what%.o}"
      fi
    elif [ "$mode" = apt ] && [ "$total" -gt 0 ]; then
      case $line in
        Get:[0-9]*)
          got=$((got + 1)); pct=$((100 * got / total))
          if [ "$pct" -ge $((glast + 25)) ]; then
            glast=$((pct - pct % 25)); printf '  downloading %3d%%  %d of %d packages\n' "$pct" "$got" "$total"
          fi ;;
        Fetched\ *) printf '  %s\n' "$line" ;;
        Setting\ up\ *)
          set=$((set + 1)); pct=$((100 * set / total)); [ "$pct" -le 100 ] || pct=100
          if [ "$pct" -ge $((last + 10)) ]; then
            last=$((pct - pct % 10)); printf '  setting up  %3d%%  %d of %d packages\n' "$pct" "$set" "$total"
          fi ;;
      esac
    fi
  done
}

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  mkdir -p "$LOG_DIR"
  local log=$LOG_DIR/apt-install.log
  echo "Installing ${#missing[@]} missing Debian packages: ${missing[*]}"
  echo "  updating the package lists ..."
  $sudo apt-get update -qq >"$log" 2>&1 || { tail -n 20 "$log" >&2; echo "apt-get update failed (log: $log)" >&2; return 1; }
  local total
  total=$(apt-get -s install --no-install-recommends "${missing[@]}" 2>/dev/null | grep -c '^Inst ' || true)
  echo "  with their dependencies: $total packages to download and set up (1.5-6 minutes on a fresh machine; log: $log)"
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}" 2>&1 \
       | progress_filter "$log.tmp" apt "$total" "packages"; then
    cat "$log.tmp" >>"$log"; rm -f "$log.tmp"
    tail -n 20 "$log" >&2; echo "apt-get install failed (log: $log)" >&2; return 1
  fi
  cat "$log.tmp" >>"$log"; rm -f "$log.tmp"
}

build() {
  mkdir -p "$LOG_DIR"
  local log=$LOG_DIR/build-release.log
  if [ ! -x build/release/src/coherence ]; then
    echo "Building (first build: ~5 minutes on a quiet 2-core machine, up to ~25 under load; log: $log)"
  else
    echo "Building (log: $log)"
  fi
  if ! cmake --preset release >"$log" 2>&1; then
    tail -n 30 "$log" >&2; echo "cmake configure failed (log: $log)" >&2; return 1
  fi
  if ! cmake --build --preset release -j "$(nproc)" 2>&1 | progress_filter "$log.build" cmake 0 "build"; then
    cat "$log.build" >>"$log"; rm -f "$log.build"
    grep -n -m 20 -E 'error|Error' "$log" >&2 || tail -n 30 "$log" >&2
    echo "build failed (log: $log)" >&2; return 1
  fi
  cat "$log.build" >>"$log"; rm -f "$log.build"
}
