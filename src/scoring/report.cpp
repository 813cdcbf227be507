#include "scoring/report.hpp"

#include "output/files.hpp"
#include "output/vessel_dump.hpp"

#include <fmt/format.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace coherence::scoring {

namespace {

const char* class_name(model::FlowClass c) {
  switch (c) {
    case model::FlowClass::kNone: return "none";
    case model::FlowClass::kIntermittent: return "intermittent";
    case model::FlowClass::kSluggish: return "sluggish";
    case model::FlowClass::kContinuous: return "continuous";
  }
  return "?";
}

double finite_or_zero(double v) { return std::isfinite(v) ? v : 0.0; }

}  // namespace

nlohmann::json score_json(const ClipSetScore& score) {
  nlohmann::json j;
  output::put_metrics(j, score.mean, false);
  j["hi"] = score.hi;
  j["acceptable"] = score.acceptable;
  j["sites"] = nlohmann::json::array();
  for (const auto& s : score.sites) {
    nlohmann::json js;
    output::put_metrics(js, s.metrics, true);
    js["source"] = s.source;
    js["width_um"] = s.width_um;
    js["height_um"] = s.height_um;
    js["um_per_px"] = s.um_per_px;
    js["fps"] = s.fps;
    js["frames"] = s.frames;
    js["acceptable"] = s.acceptable;
    js["quality"] = nlohmann::json::array();
    for (const auto& q : s.quality) {
      js["quality"].push_back({{"item", q.name}, {"score", q.score}, {"value", q.value}, {"detail", q.detail}});
    }
    js["vessels"] = nlohmann::json::array();
    for (const auto& v : s.vessels) {
      nlohmann::json poly = nlohmann::json::array();
      for (const auto& p : v.polyline_um) poly.push_back({p.x_um, p.y_um});
      js["vessels"].push_back({{"length_um", v.length_um},
                               {"diameter_um", v.diameter_um},
                               {"small", v.small},
                               {"flow_class", static_cast<int>(v.flow_class)},
                               {"flow_class_name", class_name(v.flow_class)},
                               {"moving_fraction", v.moving_fraction},
                               {"velocity_um_per_s", finite_or_zero(v.velocity_um_per_s)},
                               {"velocity_measured", std::isfinite(v.velocity_um_per_s)},
                               {"correlation", v.correlation},
                               {"polyline_um", poly}});
    }
    j["sites"].push_back(js);
  }
  return j;
}

std::string vessels_csv(const ClipSetScore& score) {
  std::string out =
      "site,vessel,length_um,diameter_um,small,flow_class,flow_class_name,moving_fraction,velocity_um_per_s,"
      "correlation,x_start_um,y_start_um,x_end_um,y_end_um\n";
  for (std::size_t k = 0; k < score.sites.size(); ++k) {
    const auto& s = score.sites[k];
    for (std::size_t i = 0; i < s.vessels.size(); ++i) {
      const auto& v = s.vessels[i];
      out += fmt::format("{},{},{:.6g},{:.6g},{},{},{},{:.6g},{},{:.4g},{:.6g},{:.6g},{:.6g},{:.6g}\n", k + 1, i + 1,
                         v.length_um, v.diameter_um, v.small ? 1 : 0, static_cast<int>(v.flow_class),
                         class_name(v.flow_class), v.moving_fraction,
                         std::isfinite(v.velocity_um_per_s) ? fmt::format("{:.6g}", v.velocity_um_per_s) : "",
                         v.correlation, v.polyline_um.front().x_um, v.polyline_um.front().y_um,
                         v.polyline_um.back().x_um, v.polyline_um.back().y_um);
    }
  }
  return out;
}

void write_overlay(const SiteScore& site, const std::filesystem::path& png) {
  cv::Mat grey, bgr;
  site.mean_image.convertTo(grey, CV_8U, 255.0);
  cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
  for (const auto& v : site.vessels) {
    cv::Scalar colour(255, 90, 0);  // large: blue
    if (v.small) {
      switch (v.flow_class) {
        case model::FlowClass::kNone: colour = cv::Scalar(40, 40, 230); break;
        case model::FlowClass::kIntermittent: colour = cv::Scalar(0, 140, 255); break;
        case model::FlowClass::kSluggish: colour = cv::Scalar(0, 230, 230); break;
        case model::FlowClass::kContinuous: colour = cv::Scalar(60, 200, 60); break;
      }
    }
    std::vector<cv::Point> pts;
    for (const auto& p : v.centreline_px) pts.emplace_back(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y)));
    cv::polylines(bgr, pts, false, colour, v.small ? 2 : 3, cv::LINE_AA);
  }
  // Encoded in memory, then written by the one checked atomic writer.
  std::vector<unsigned char> bytes;
  if (!cv::imencode(".png", bgr, bytes)) throw std::runtime_error(png.string() + ": PNG encoding failed");
  output::write_file_atomic(png, std::string(bytes.begin(), bytes.end()));
}

}  // namespace coherence::scoring
