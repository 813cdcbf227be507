#include "scoring/clip.hpp"


#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <png.h>
#include <csetjmp>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "output/files.hpp"
#include "core/errors.hpp"

namespace coherence::scoring {

namespace {

using coherence::InputError;

cv::Mat to_float(const cv::Mat& raw, const std::string& where) {
  cv::Mat grey;
  if (raw.channels() == 1) {
    grey = raw;
  } else if (raw.channels() == 3 || raw.channels() == 4) {
    cv::extractChannel(raw, grey, 1);  // green (the sublingual signal) is channel 1 in RGB and BGR(A)
  } else {
    throw InputError(fmt::format("{}: {} channels: expected grey or colour", where, raw.channels()));
  }
  cv::Mat out;
  if (grey.depth() == CV_8U) {
    grey.convertTo(out, CV_32F, 1.0 / 255.0);
  } else if (grey.depth() == CV_16U) {
    grey.convertTo(out, CV_32F, 1.0 / 65535.0);
  } else {
    throw InputError(fmt::format("{}: unsupported sample type (expected 8- or 16-bit)", where));
  }
  return out;
}

// Runs libpng calls with libpng's error jump target here: false when libpng reported an error.
// `f` may call only libpng and assign to variables it captures by reference (no C++ object is
// created inside, so the longjmp skips no destructor; the captured ones live in memory).
template <typename F>
bool png_guarded(png_structp png, F&& f) {
  // libpng reports errors only by longjmp (or by an exception thrown through C frames, worse).
  if (setjmp(png_jmpbuf(png))) return false;  // NOLINT(cert-err52-cpp)
  f();
  return true;
}

// A PNG frame through libpng with our own error handlers (OpenCV's PNG reader lets libpng print
// to stderr; the scorer reports one line): 8- or 16-bit, grey or RGB (palette expanded, alpha
// dropped). Returns an empty Mat with `why` set when the file is not a
// readable PNG.
cv::Mat read_png(const std::filesystem::path& file, std::string& why) {
  std::FILE* fp = std::fopen(file.c_str(), "rb");
  if (!fp) {
    why = "cannot open";
    return {};
  }
  std::string message;
  png_structp png = png_create_read_struct(
      PNG_LIBPNG_VER_STRING, &message,
      [](png_structp p, png_const_charp msg) {
        *static_cast<std::string*>(png_get_error_ptr(p)) = msg ? msg : "error";
        png_longjmp(p, 1);
      },
      [](png_structp, png_const_charp) {});
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  png_uint_32 w = 0, h = 0;
  int channels = 0, bits = 0;
  std::size_t row_bytes = 0;
  cv::Mat img;
  std::vector<png_bytep> rows;
  bool ok = png && info && png_guarded(png, [&] {
    png_init_io(png, fp);
    png_read_info(png, info);
    const int colour = png_get_color_type(png, info);
    const int depth = png_get_bit_depth(png, info);
    if (colour == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (colour == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if ((colour & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) {
      png_set_tRNS_to_alpha(png);
      png_set_strip_alpha(png);
    }
    if (depth == 16) png_set_swap(png);  // host order (little-endian)
    png_read_update_info(png, info);
    w = png_get_image_width(png, info);
    h = png_get_image_height(png, info);
    channels = png_get_channels(png, info);
    bits = png_get_bit_depth(png, info);
    row_bytes = png_get_rowbytes(png, info);
  });
  if (!png || !info) message = "out of memory";
  if (ok && (w == 0 || h == 0 || w > 16384 || h > 16384 || (channels != 1 && channels != 3))) {
    ok = false;
    message = "image size or layout out of range";
  }
  if (ok) {
    img.create(static_cast<int>(h), static_cast<int>(w), CV_MAKETYPE(bits == 16 ? CV_16U : CV_8U, channels));
    if (row_bytes != img.step[0]) {
      ok = false;
      message = "unexpected row layout";
    } else {
      rows.resize(h);
      for (png_uint_32 y = 0; y < h; ++y) rows[y] = img.ptr<png_byte>(static_cast<int>(y));
      ok = png_guarded(png, [&] {
        png_read_image(png, rows.data());
        png_read_end(png, nullptr);
      });
    }
  }
  png_destroy_read_struct(png ? &png : nullptr, info ? &info : nullptr, nullptr);
  std::fclose(fp);
  if (!ok) {
    why = message;
    return {};
  }
  return img;  // grey, or RGB (to_float takes the green channel)
}

// um_per_px and fps of one meta file (meta.json or truth.json) in `dir`, when it is there.
struct MetaValues {
  std::optional<double> um_per_px, fps;
};

void check_range(const std::string& where, const char* key, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi)) {
    throw InputError(fmt::format("{}{}{} {}: must lie in [{:g}, {:g}]", where, *key ? ": " : "", key, v, lo, hi));
  }
}

MetaValues read_meta_file(const std::filesystem::path& file) {
  MetaValues m;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return m;
  std::ifstream in(file);
  if (!in) throw InputError(fmt::format("{}: cannot read", file.string()));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const std::exception&) {
    throw InputError(fmt::format("{}: not valid JSON", file.string()));
  }
  if (!j.is_object()) throw InputError(fmt::format("{}: not a JSON object", file.string()));
  auto number = [&](const char* key, std::optional<double>& into, double lo, double hi) {
    if (!j.contains(key)) return;
    if (!j[key].is_number()) throw InputError(fmt::format("{}: {}: must be a number", file.string(), key));
    check_range(file.string(), key, j[key].get<double>(), lo, hi);
    into = j[key].get<double>();
  };
  number("um_per_px", m.um_per_px, kMinUmPerPx, kMaxUmPerPx);
  number("fps", m.fps, kMinFps, kMaxFps);
  return m;
}

// The value by precedence: the flag, meta.json, truth.json, then `fallback` (the container's);
// a lower source that disagrees is noted.
std::optional<double> resolve(const char* what, const char* flag, const std::optional<double>& given,
                              const std::optional<double>& meta, const std::optional<double>& truth,
                              const std::optional<double>& fallback, const char* fallback_name,
                              const std::filesystem::path& dir, std::vector<std::string>& notes) {
  const std::vector<std::pair<std::string, std::optional<double>>> sources = {
      {flag, given}, {(dir / "meta.json").string(), meta}, {(dir / "truth.json").string(), truth},
      {fallback_name, fallback}};
  std::optional<double> chosen;
  std::string chosen_from;
  for (const auto& [name, v] : sources) {
    if (!v) continue;
    if (!chosen) {
      chosen = v;
      chosen_from = name;
    } else if (std::abs(*v - *chosen) > 1e-9 * std::abs(*chosen)) {
      notes.push_back(fmt::format("{} {:g} from {} used; {} says {:g}", what, *chosen, chosen_from, name, *v));
    }
  }
  return chosen;
}

// Digit runs compared as numbers (frame_2 before frame_10), the rest as text.
bool natural_less_impl(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      std::size_t ie = i, je = j;
      while (ie < a.size() && digit(a[ie])) ++ie;
      while (je < b.size() && digit(b[je])) ++je;
      std::size_t iz = i, jz = j;  // leading zeros do not count
      while (iz + 1 < ie && a[iz] == '0') ++iz;
      while (jz + 1 < je && b[jz] == '0') ++jz;
      const std::string_view na(a.data() + iz, ie - iz), nb(b.data() + jz, je - jz);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      if (ie - i != je - j) return ie - i < je - j;  // frame_01 before frame_001: a stable tie-break
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

std::vector<std::filesystem::path> frame_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> frames, pngs;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw InputError(fmt::format("{}: cannot read the folder: {}", dir.string(), ec.message()));
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) throw InputError(fmt::format("{}: cannot read the folder: {}", dir.string(), ec.message()));
    const auto& e = *it;
    if (e.path().extension() != ".png") continue;
    std::error_code kind;
    const bool regular = e.is_regular_file(kind);
    if (kind) throw InputError(fmt::format("{}: cannot read: {}", e.path().string(), kind.message()));
    if (!regular) continue;
    pngs.push_back(e.path());
    if (e.path().filename().string().rfind("frame_", 0) == 0) frames.push_back(e.path());
  }
  auto& chosen = frames.empty() ? pngs : frames;
  std::sort(chosen.begin(), chosen.end(), [](const auto& x, const auto& y) {
    return natural_less_impl(x.filename().string(), y.filename().string());
  });
  return chosen;
}

void check_frame_size(const std::string& where, long long w, long long h, std::size_t frames) {
  if (w * h > kMaxFramePixels) {
    throw InputError(fmt::format("{}: {}x{} px frames: more than the {} pixels a frame may have (4096 x 4096)", where, w,
                                 h, kMaxFramePixels));
  }
  if (static_cast<long long>(frames) * w * h > kMaxClipPixels) {
    throw InputError(fmt::format("{}: {} frames of {}x{} px: more than the {} pixels a clip may have (the memory "
                                 "bound; score a shorter clip)",
                                 where, frames, w, h, kMaxClipPixels));
  }
}

Clip load_folder(const std::filesystem::path& dir, ClipOptions o) {
  Clip c;
  c.source = dir.string();
  const auto files = frame_files(dir);
  if (files.empty()) throw InputError(fmt::format("{}: no PNG frames in the folder", dir.string()));
  if (files.size() < 2) throw InputError(fmt::format("{}: one frame only: flow needs a video", dir.string()));
  // Frames are PNG and read by libpng itself (read_png): OpenCV's reader decodes by content, so
  // any of its other decoders could be reached through a misnamed file, and libpng's messages
  // would reach stderr.
  for (const auto& f : files) {
    {
      static constexpr unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
      std::ifstream in(f, std::ios::binary);
      unsigned char head[8] = {};
      in.read(reinterpret_cast<char*>(head), 8);
      if (in.gcount() != 8 || !std::equal(head, head + 8, kPngSignature)) {
        throw InputError(fmt::format("{}: not a PNG file (no PNG signature)", f.string()));
      }
    }
    std::string why;
    const cv::Mat raw = read_png(f, why);
    if (raw.empty()) throw InputError(fmt::format("{}: not a readable PNG ({})", f.string(), why));
    if (c.frames.empty()) check_frame_size(dir.string(), raw.cols, raw.rows, files.size());
    if (!c.frames.empty() && (raw.cols != c.width() || raw.rows != c.height())) {
      throw InputError(fmt::format("{}: {}x{} px, but the first frame is {}x{}: frames must match", f.string(), raw.cols,
                                   raw.rows, c.width(), c.height()));
    }
    c.bit_depth = raw.depth() == CV_16U ? 16 : 8;
    c.frames.push_back(to_float(raw, f.string()));
  }
  const MetaValues meta = read_meta_file(dir / "meta.json"), truth = read_meta_file(dir / "truth.json");
  o.um_per_px = resolve("pixel size", "--um-per-px", o.um_per_px, meta.um_per_px, truth.um_per_px, std::nullopt, "",
                        dir, c.notes);
  o.fps = resolve("frame rate", "--fps", o.fps, meta.fps, truth.fps, std::nullopt, "", dir, c.notes);
  if (!o.um_per_px) throw InputError(fmt::format("{}: pixel size unknown: give --um-per-px or a meta.json", dir.string()));
  if (!o.fps) throw InputError(fmt::format("{}: frame rate unknown: give --fps or a meta.json", dir.string()));
  c.um_per_px = *o.um_per_px;
  c.fps = *o.fps;
  return c;
}

Clip load_video(const std::filesystem::path& file, ClipOptions o) {
  Clip c;
  c.source = file.string();
  // A name starting with '-' would be read as an option.
  const std::string name = file.string().rfind('-', 0) == 0 ? "./" + file.string() : file.string();
  std::string probe;
  const int rc = output::read_process_output({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                              "stream=width,height,r_frame_rate,avg_frame_rate,pix_fmt", "-of", "json",
                                              name},
                                             probe);
  if (rc < 0) throw std::runtime_error("ffprobe not found (install ffmpeg)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(probe);
  } catch (const std::exception&) {
    j = nlohmann::json::object();
  }
  if (rc != 0 || !j.contains("streams") || j["streams"].empty()) {
    throw InputError(fmt::format("{}: not a video ffmpeg can read", file.string()));
  }
  const auto& s = j["streams"][0];
  const int w = s.value("width", 0), h = s.value("height", 0);
  const std::string pix_fmt = s.value("pix_fmt", "");
  if (w <= 0 || h <= 0) throw InputError(fmt::format("{}: the video stream has no frame size", file.string()));
  // The container's rate: avg_frame_rate (frames over duration) is what the frames were taken
  // at; r_frame_rate is only the stream's time base guess (1000 for a Matroska file at 1 fps).
  auto rational = [&s](const char* key) -> std::optional<double> {
    const std::string rate = s.value(key, "0/1");
    const auto slash = rate.find('/');
    auto number = [](const std::string& text) {
      double v = 0.0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      return ec == std::errc() && end == text.data() + text.size() ? v : 0.0;
    };
    const double num = number(rate.substr(0, slash));
    const double den = slash == std::string::npos ? 1.0 : number(rate.substr(slash + 1));
    if (num > 0.0 && den > 0.0) return num / den;
    return std::nullopt;
  };
  const std::optional<double> avg_rate = rational("avg_frame_rate"), r_rate = rational("r_frame_rate");
  const std::optional<double> container_fps = avg_rate ? avg_rate : r_rate;
  check_frame_size(file.string(), w, h, 2);
  // Decoding stops one frame past the memory bound (which is then refused).
  const long long max_frames = std::max(2LL, kMaxClipPixels / (static_cast<long long>(w) * h));
  // Grey sources decode to 16-bit grey; colour sources to 16-bit RGB, of which green is kept.
  const bool grey = pix_fmt.rfind("gray", 0) == 0;
  std::string raw;
  std::string ffmpeg_says;
  const int dec = output::read_process_output({"ffmpeg", "-v", "error", "-nostdin", "-i", name, "-frames:v",
                                               std::to_string(max_frames + 1), "-f", "rawvideo", "-pix_fmt",
                                               grey ? "gray16le" : "rgb48le", "-"},
                                              raw, &ffmpeg_says);
  if (dec != 0) {
    throw InputError(fmt::format("{}: ffmpeg could not decode it (exit {}{})", file.string(), dec,
                                 ffmpeg_says.empty() ? "" : ": " + ffmpeg_says));
  }
  const std::size_t frame_bytes = static_cast<std::size_t>(w) * h * (grey ? 2 : 6);
  check_frame_size(file.string(), w, h, raw.size() / frame_bytes);
  if (raw.size() < 2 * frame_bytes) {
    throw InputError(fmt::format("{}: {} frame(s) decoded: flow needs at least 2", file.string(), raw.size() / frame_bytes));
  }
  c.bit_depth = pix_fmt.find("16") != std::string::npos || pix_fmt.find("10") != std::string::npos ||
                        pix_fmt.find("12") != std::string::npos
                    ? 16
                    : 8;
  for (std::size_t off = 0; off + frame_bytes <= raw.size(); off += frame_bytes) {
    cv::Mat m(h, w, grey ? CV_16UC1 : CV_16UC3, raw.data() + off);
    cv::Mat g;
    if (grey) {
      g = m;
    } else {
      cv::extractChannel(m, g, 1);  // RGB order from ffmpeg: green is channel 1 as well
    }
    cv::Mat f;
    g.convertTo(f, CV_32F, 1.0 / 65535.0);
    c.frames.push_back(f);
  }
  const std::filesystem::path dir = meta_folder(file);
  const MetaValues meta = read_meta_file(dir / "meta.json"), truth = read_meta_file(dir / "truth.json");
  o.um_per_px = resolve("pixel size", "--um-per-px", o.um_per_px, meta.um_per_px, truth.um_per_px, std::nullopt, "",
                        dir, c.notes);
  o.fps = resolve("frame rate", "--fps", o.fps, meta.fps, truth.fps, container_fps, "the container's avg_frame_rate",
                  dir, c.notes);
  if (avg_rate && r_rate && std::abs(*avg_rate - *r_rate) > 0.01 * *avg_rate && o.fps == avg_rate) {
    c.notes.push_back(fmt::format("frame rate: the container's avg_frame_rate {:g} used; its r_frame_rate says {:g}",
                                  *avg_rate, *r_rate));
  }
  if (o.fps && o.fps == container_fps) check_range(file.string(), "the container's frame rate (give --fps)", *o.fps, kMinFps, kMaxFps);
  if (!o.um_per_px) {
    throw InputError(fmt::format("{}: pixel size unknown: give --um-per-px or a meta.json beside it", file.string()));
  }
  if (!o.fps || !(*o.fps > 0.0)) throw InputError(fmt::format("{}: frame rate unknown: give --fps", file.string()));
  c.um_per_px = *o.um_per_px;
  c.fps = *o.fps;
  return c;
}

}  // namespace

bool natural_less(const std::string& a, const std::string& b) { return natural_less_impl(a, b); }

std::filesystem::path meta_folder(const std::filesystem::path& input) {
  std::error_code ec;
  if (std::filesystem::is_directory(input, ec)) return input;
  return input.parent_path().empty() ? std::filesystem::path(".") : input.parent_path();
}

Clip load_clip(const std::filesystem::path& input, const ClipOptions& options) {
  if (options.um_per_px) check_range("--um-per-px", "", *options.um_per_px, kMinUmPerPx, kMaxUmPerPx);
  if (options.fps) check_range("--fps", "", *options.fps, kMinFps, kMaxFps);
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(input, ec);
  if (ec && st.type() != std::filesystem::file_type::not_found) {
    // A symbolic link loop, a folder without permission on the way...
    throw InputError(fmt::format("{}: cannot read: {}", input.string(), ec.message()));
  }
  switch (st.type()) {
    case std::filesystem::file_type::directory: return load_folder(input, options);
    case std::filesystem::file_type::regular:
      if (std::filesystem::file_size(input, ec) == 0) throw InputError(fmt::format("{}: empty file", input.string()));
      return load_video(input, options);
    case std::filesystem::file_type::not_found:
      throw InputError(fmt::format("{}: no such file or folder", input.string()));
    case std::filesystem::file_type::fifo:
      throw InputError(fmt::format("{}: is a FIFO: give a folder of frames or a video file", input.string()));
    default:
      throw InputError(fmt::format("{}: not a folder of frames or a video file (a device or socket)", input.string()));
  }
}

Clip clip_from_grey8(const std::vector<std::vector<std::uint8_t>>& frames, int width, int height, double um_per_px,
                     double fps, std::string source) {
  Clip c;
  c.um_per_px = um_per_px;
  c.fps = fps;
  c.source = std::move(source);
  for (const auto& f : frames) {
    cv::Mat m(height, width, CV_8UC1, const_cast<std::uint8_t*>(f.data()));
    cv::Mat out;
    m.convertTo(out, CV_32F, 1.0 / 255.0);
    c.frames.push_back(out);
  }
  return c;
}

}  // namespace coherence::scoring
