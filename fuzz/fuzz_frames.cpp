// Fuzz target: the frame reader of the scoring pipeline. The input is split in two PNG files of
// a frames folder (with a meta.json giving pixel size and fps); loading must succeed or be
// refused with InputError.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "core/errors.hpp"
#include "scoring/clip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fs = std::filesystem;
  static const fs::path dir = fs::temp_directory_path() / ("coherence_fuzz_frames_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::size_t half = size / 2;
  auto write = [&](const fs::path& p, const std::uint8_t* d, std::size_t n) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(d), static_cast<std::streamsize>(n));
  };
  write(dir / "frame_0000.png", data, half);
  write(dir / "frame_0001.png", data + half, size - half);
  {
    std::ofstream meta(dir / "meta.json");
    meta << R"({"um_per_px": 1.5, "fps": 30})";
  }
  try {
    (void)coherence::scoring::load_clip(dir, {});
  } catch (const coherence::InputError&) {
  }
  return 0;
}
