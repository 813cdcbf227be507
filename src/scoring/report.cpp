#include "scoring/report.hpp"

#include "output/files.hpp"
#include "output/vessel_dump.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
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

// A measured number, or null: "not measured" is never written as 0.
nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string cell(double v, const char* format = "{:.6g}") {
  return std::isfinite(v) ? fmt::format(fmt::runtime(format), v) : std::string();
}

void put_flow_metrics(nlohmann::json& j, const model::SiteMetrics& m, bool with_quadrants) {
  output::put_metrics(j, m, with_quadrants);
  for (const char* k : {"pvd_mm_per_mm2", "ppv_pct", "mfi", "mfi_vessel", "rbc_velocity_um_per_s"}) {
    j[k] = number_or_null(j[k].get<double>());
  }
  if (with_quadrants) {
    nlohmann::json q = nlohmann::json::array();
    for (double v : m.quadrant_scores) q.push_back(number_or_null(v));
    j["quadrant_mfi"] = q;
  }
}

std::string worst_verdict(const ClipSetScore& score) {
  std::string worst = "optimal";
  for (const auto& s : score.sites) {
    const std::string v = s.verdict();
    if (v == "unacceptable" || (v == "acceptable" && worst == "optimal")) worst = v;
  }
  return worst;
}

void put_evidence(nlohmann::json& j, const EvidenceLengths& e) {
  j["flow_measured_fraction"] = number_or_null(e.flow_measured_fraction());
  j["velocity_measured_fraction"] = number_or_null(e.velocity_measured_fraction());
  j["unmeasured_length_um"] = e.unmeasured;
}

}  // namespace

nlohmann::json score_json(const ClipSetScore& score) {
  nlohmann::json j;
  put_flow_metrics(j, score.mean, false);
  j["hi"] = number_or_null(score.hi);
  j["acceptable"] = score.acceptable;
  j["verdict"] = worst_verdict(score);
  j["sites_flow_refused"] = score.sites_flow_refused;
  put_evidence(j, score.evidence);
  j["sites"] = nlohmann::json::array();
  for (const auto& s : score.sites) {
    nlohmann::json js;
    put_flow_metrics(js, s.metrics, true);
    js["source"] = s.source;
    js["width_um"] = s.width_um;
    js["height_um"] = s.height_um;
    js["um_per_px"] = s.um_per_px;
    js["fps"] = s.fps;
    js["frames"] = s.frames;
    js["acceptable"] = s.acceptable;
    js["verdict"] = s.verdict();
    js["reasons"] = s.reasons();
    js["flow_refused"] = s.flow_refused;
    put_evidence(js, s.evidence);
    js["quality"] = nlohmann::json::array();
    for (const auto& q : s.quality) {
      js["quality"].push_back({{"item", q.name}, {"score", q.score}, {"value", q.value}, {"detail", q.detail}});
    }
    js["vessels"] = nlohmann::json::array();
    for (std::size_t i = 0; i < s.vessels.size(); ++i) {
      const auto& v = s.vessels[i];
      nlohmann::json poly = nlohmann::json::array();
      for (const auto& p : v.polyline_um) poly.push_back({p.x_um, p.y_um});
      js["vessels"].push_back({{"id", i + 1},
                               {"length_um", v.length_um},
                               {"diameter_um", v.diameter_um},
                               {"small", v.small},
                               {"flow_measured", v.flow_measured},
                               {"flow_class", v.flow_measured ? nlohmann::json(static_cast<int>(v.flow_class)) : nlohmann::json(nullptr)},
                               {"flow_class_name", vessel_class_name(v)},
                               {"moving_fraction", v.moving_fraction},
                               {"velocity_um_per_s", number_or_null(v.velocity_um_per_s)},
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
      "file,site,vessel,length_um,diameter_um,small,flow_class,flow_class_name,flow_measured,moving_fraction,"
      "velocity_um_per_s,correlation,x_start_um,y_start_um,x_end_um,y_end_um\n";
  for (std::size_t k = 0; k < score.sites.size(); ++k) {
    const auto& s = score.sites[k];
    for (std::size_t i = 0; i < s.vessels.size(); ++i) {
      const auto& v = s.vessels[i];
      out += fmt::format("{},{},{},{:.6g},{:.6g},{},{},{},{},{:.6g},{},{:.4g},{:.6g},{:.6g},{:.6g},{:.6g}\n",
                         output::csv_field(s.source), k + 1, i + 1, v.length_um, v.diameter_um, v.small ? 1 : 0,
                         v.flow_measured ? std::to_string(static_cast<int>(v.flow_class)) : std::string(),
                         vessel_class_name(v), v.flow_measured ? 1 : 0, v.moving_fraction, cell(v.velocity_um_per_s),
                         v.correlation, v.polyline_um.front().x_um, v.polyline_um.front().y_um,
                         v.polyline_um.back().x_um, v.polyline_um.back().y_um);
    }
  }
  return out;
}

std::string videos_csv(const ClipSetScore& videos, const std::string& patient) {
  std::string out =
      "file,patient,site,frames,fps,um_per_px,duration_s,tvd_mm_per_mm2,pvd_mm_per_mm2,ppv_pct,mfi,mfi_vessel,hi,"
      "debacker_per_mm,rbc_velocity_um_per_s,velocity_measured_fraction,flow_measured_fraction,verdict,acceptable,"
      "flow_refused,reasons\n";
  auto join = [](const std::vector<std::string>& parts) {
    std::string t;
    for (const auto& p : parts) t += (t.empty() ? "" : "; ") + p;
    return t;
  };
  auto measures = [](const model::SiteMetrics& m, double hi) {
    return fmt::format("{},{},{},{},{},{},{},{}", cell(m.tvd_mm_per_mm2), cell(m.pvd_mm_per_mm2), cell(m.ppv_pct),
                       cell(m.mfi), cell(m.mfi_vessel), cell(hi), cell(m.debacker_per_mm), cell(m.rbc_velocity_um_per_s));
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t k = 0; k < videos.sites.size(); ++k) {
    const auto& s = videos.sites[k];
    out += fmt::format("{},{},{},{},{:g},{:g},{:.6g},{},{},{},{},{},{},{}\n", output::csv_field(s.source),
                       output::csv_field(patient), k + 1, s.frames, s.fps, s.um_per_px,
                       s.fps > 0.0 ? s.frames / s.fps : nan, measures(s.metrics, nan),
                       cell(s.evidence.velocity_measured_fraction()), cell(s.evidence.flow_measured_fraction()),
                       s.verdict(), s.acceptable ? 1 : 0, output::csv_field(join(s.flow_refused)),
                       output::csv_field(join(s.reasons())));
  }
  if (!patient.empty()) {
    std::vector<std::string> refused;
    for (const auto& s : videos.sites) {
      if (!s.flow_refused.empty()) refused.push_back(s.source + ": " + s.flow_refused.front());
    }
    out += fmt::format(",{},mean,,,,,{},{},{},{},{},{},\n", output::csv_field(patient), measures(videos.mean, videos.hi),
                       cell(videos.evidence.velocity_measured_fraction()), cell(videos.evidence.flow_measured_fraction()),
                       worst_verdict(videos), videos.acceptable ? 1 : 0, output::csv_field(join(refused)));
  }
  return out;
}

const char* vessel_class_name(const ScoredVessel& v) { return v.flow_measured ? class_name(v.flow_class) : "unmeasured"; }

void write_overlay(const SiteScore& site, const std::filesystem::path& png) {
  cv::Mat grey, bgr;
  site.mean_image.convertTo(grey, CV_8U, 255.0);
  cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
  for (const auto& v : site.vessels) {
    cv::Scalar colour(255, 90, 0);  // large: blue
    if (v.small && !v.flow_measured) {
      colour = cv::Scalar(200, 120, 200);  // unmeasured: violet
    } else if (v.small) {
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
