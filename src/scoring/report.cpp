#include "scoring/report.hpp"

#include "output/files.hpp"
#include "output/vessel_dump.hpp"

#include <fmt/format.h>

#include <algorithm>
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

namespace {

// The overlay's colours (BGR), one per class as the legend names them.
const cv::Scalar kLarge(255, 90, 0), kUnmeasured(200, 120, 200), kNone(40, 40, 230), kIntermittent(0, 140, 255),
    kSluggish(0, 230, 230), kContinuous(60, 200, 60);

cv::Scalar class_colour(model::FlowClass c) {
  switch (c) {
    case model::FlowClass::kNone: return kNone;
    case model::FlowClass::kIntermittent: return kIntermittent;
    case model::FlowClass::kSluggish: return kSluggish;
    case model::FlowClass::kContinuous: return kContinuous;
  }
  return kUnmeasured;
}

// Text with a dark outline, legible on any grey.
void label(cv::Mat& img, const std::string& text, cv::Point at, double scale, const cv::Scalar& colour = {255, 255, 255}) {
  cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
  cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv::LINE_AA);
}

std::string measures_line(const char* who, double tvd, double ppv, double mfi) {
  auto num = [](double v, const char* f) { return std::isfinite(v) ? cell(v, f) : std::string("-"); };
  return fmt::format("{}: TVD {} mm/mm2  PPV {}%  MFI {}", who, num(tvd, "{:.1f}"), num(ppv, "{:.0f}"), num(mfi, "{:.2f}"));
}

cv::Mat grey_panel(const SiteScore& site) {
  cv::Mat grey, bgr;
  site.mean_image.convertTo(grey, CV_8U, 255.0);
  cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
  return bgr;
}

void draw_polyline(cv::Mat& img, const std::vector<cv::Point2f>& px, const cv::Scalar& colour, int thickness) {
  std::vector<cv::Point> pts;
  for (const auto& p : px) pts.emplace_back(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y)));
  cv::polylines(img, pts, false, colour, thickness, cv::LINE_AA);
}

// The point half-way along a polyline's length.
cv::Point2f midpoint(const std::vector<cv::Point2f>& px) {
  double total = 0.0;
  for (std::size_t k = 1; k < px.size(); ++k) total += cv::norm(px[k] - px[k - 1]);
  double acc = 0.0;
  for (std::size_t k = 1; k < px.size(); ++k) {
    const double d = cv::norm(px[k] - px[k - 1]);
    if (acc + d >= 0.5 * total && d > 0.0) return px[k - 1] + (px[k] - px[k - 1]) * static_cast<float>((0.5 * total - acc) / d);
    acc += d;
  }
  return px.front();
}

// The truth's class name back to its class (class_name's inverse; "none" for anything else).
model::FlowClass truth_class(const std::string& name) {
  for (const auto c : {model::FlowClass::kIntermittent, model::FlowClass::kSluggish, model::FlowClass::kContinuous}) {
    if (name == class_name(c)) return c;
  }
  return model::FlowClass::kNone;
}

}  // namespace

std::string overlay_truth_problem(const nlohmann::json& truth, const SiteScore& site) {
  if (!truth.is_object() || !truth.contains("sites") || !truth["sites"].is_array()) return "no \"sites\" array";
  if (truth["sites"].size() != 1) return fmt::format("{} sites, the overlay compares one", truth["sites"].size());
  const auto& ts = truth["sites"][0];
  if (!ts.is_object() || !ts.contains("vessels") || !ts["vessels"].is_array()) return "no vessels in its site";
  for (const char* k : {"um_per_px", "width_px", "height_px"}) {
    if (!truth.contains(k) || !truth[k].is_number()) return fmt::format("no number \"{}\"", k);
  }
  if (std::abs(truth["um_per_px"].get<double>() - site.um_per_px) > 1e-9 * site.um_per_px) {
    return fmt::format("pixel size {:g} um, the clip was scored at {:g}", truth["um_per_px"].get<double>(), site.um_per_px);
  }
  if (truth["width_px"].get<double>() != site.mean_image.cols || truth["height_px"].get<double>() != site.mean_image.rows) {
    return fmt::format("{}x{} px, the clip is {}x{}", truth["width_px"].get<double>(), truth["height_px"].get<double>(),
                       site.mean_image.cols, site.mean_image.rows);
  }
  for (const auto& v : ts["vessels"]) {
    if (!v.is_object() || !v.contains("polyline_um") || !v["polyline_um"].is_array() || !v.contains("flow_class") ||
        !v["flow_class"].is_string() || !v.contains("small") || !v["small"].is_boolean() || !v.contains("visible") ||
        !v["visible"].is_boolean()) {
      return "a vessel without polyline_um, flow_class, small and visible";
    }
    for (const auto& p : v["polyline_um"]) {
      if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) return "a polyline point is not [x, y]";
    }
  }
  for (const char* k : {"tvd_mm_per_mm2", "ppv_pct", "mfi"}) {
    if (!ts.contains(k) || !ts[k].is_number()) return fmt::format("its site has no number \"{}\"", k);
  }
  return {};
}

void write_overlay(const SiteScore& site, const std::filesystem::path& png, const nlohmann::json* truth) {
  const cv::Mat base = grey_panel(site);
  const int w = base.cols, h = base.rows;
  const double text = std::clamp(w / 1300.0, 0.35, 1.0);  // ~8 px high at 640 px wide
  const int line_px = static_cast<int>(std::lround(24.0 * text / 0.35 * 0.7));

  cv::Mat scored = base.clone();
  for (const auto& v : site.vessels) {
    const cv::Scalar colour = !v.small ? kLarge : !v.flow_measured ? kUnmeasured : class_colour(v.flow_class);
    draw_polyline(scored, v.centreline_px, colour, v.small ? 2 : 3);
  }
  // Vessel ids: the `vessel` column of the per-vessel CSV and the JSON's "id".
  for (std::size_t i = 0; i < site.vessels.size(); ++i) {
    const cv::Point2f m = midpoint(site.vessels[i].centreline_px);
    label(scored, std::to_string(i + 1), cv::Point(static_cast<int>(m.x) + 3, static_cast<int>(m.y) - 3), 0.7 * text);
  }
  std::vector<std::string> titles = {
      measures_line("scored", site.metrics.tvd_mm_per_mm2, site.metrics.ppv_pct, site.metrics.mfi)};
  // The analysed field: the edge strip left out of every measure.
  if (site.margin_px > 0) {
    cv::rectangle(scored, cv::Rect(site.margin_px, site.margin_px, w - 2 * site.margin_px, h - 2 * site.margin_px),
                  cv::Scalar(160, 160, 160), 1);
  }

  std::vector<cv::Mat> panels = {scored};
  if (truth != nullptr) {
    cv::Mat t = base.clone();
    const auto& ts = (*truth)["sites"][0];
    // Truth polylines are in the site's frame; frame 0 (the stabilised frame) shows them shifted
    // by the scene's offset at frame 0.
    double ox = 0.0, oy = 0.0;
    if (truth->contains("scene_offset_um_per_frame") && (*truth)["scene_offset_um_per_frame"].is_array() &&
        !(*truth)["scene_offset_um_per_frame"].empty()) {
      const auto& o = (*truth)["scene_offset_um_per_frame"][0];
      if (o.is_array() && o.size() == 2 && o[0].is_number() && o[1].is_number()) {
        ox = o[0].get<double>();
        oy = o[1].get<double>();
      }
    }
    const double um = site.um_per_px;
    for (const auto& v : ts["vessels"]) {
      if (!v["visible"].get<bool>()) continue;
      std::vector<cv::Point2f> px;
      for (const auto& p : v["polyline_um"]) {
        px.emplace_back(static_cast<float>((p[0].get<double>() + ox) / um - 0.5), static_cast<float>((p[1].get<double>() + oy) / um - 0.5));
      }
      const bool small = v["small"].get<bool>();
      draw_polyline(t, px, small ? class_colour(truth_class(v["flow_class"].get<std::string>())) : kLarge, small ? 2 : 3);
    }
    titles.push_back(
        measures_line("truth.json", ts["tvd_mm_per_mm2"].get<double>(), ts["ppv_pct"].get<double>(), ts["mfi"].get<double>()));
    panels.push_back(t);
  }

  // A title strip over the panels (their measures) and a legend strip under them.
  const int title_h = line_px + line_px / 2, legend_h = 2 * line_px;
  cv::Mat out(title_h + h + legend_h, w * static_cast<int>(panels.size()), CV_8UC3, cv::Scalar(32, 32, 32));
  for (std::size_t k = 0; k < panels.size(); ++k) {
    panels[k].copyTo(out(cv::Rect(static_cast<int>(k) * w, title_h, w, h)));
    label(out, titles[k], cv::Point(static_cast<int>(k) * w + 6, line_px), text);
  }
  const std::vector<std::pair<const char*, cv::Scalar>> legend = {
      {"continuous", kContinuous}, {"sluggish", kSluggish}, {"intermittent", kIntermittent}, {"no flow", kNone},
      {"unmeasured", kUnmeasured}, {">= 20 um", kLarge}};
  int x = 8;
  const int y = title_h + h + legend_h / 2;
  for (const auto& [name, colour] : legend) {
    cv::line(out, cv::Point(x, y), cv::Point(x + line_px, y), colour, 3, cv::LINE_AA);
    x += line_px + 5;
    int base_line = 0;
    const cv::Size sz = cv::getTextSize(name, cv::FONT_HERSHEY_SIMPLEX, text, 1, &base_line);
    label(out, name, cv::Point(x, y + sz.height / 2), text);
    x += sz.width + 14;
  }
  label(out, "numbers: vessel ids (CSV \"vessel\")",
        cv::Point(std::max(x, 8), y + line_px / 4), 0.8 * text, cv::Scalar(200, 200, 200));
  // Encoded in memory, then written by the one checked atomic writer.
  std::vector<unsigned char> bytes;
  if (!cv::imencode(".png", out, bytes)) throw std::runtime_error(png.string() + ": PNG encoding failed");
  output::write_file_atomic(png, std::string(bytes.begin(), bytes.end()));
}

}  // namespace coherence::scoring
