// A pure description of what a handheld vital microscope sees of one site, frame by frame:
// device optics, red-cell positions along every vessel, probe drift and artifacts. No pixels
// here (the rasteriser draws a FrameScene), so the scene is testable on its own.
//
// Red cells: each vessel carries N ~ Poisson(lambda L) cells at seeded arc positions s_j; at time
// t each has moved by the vessel's integrated velocity X(t) = v_moving x (moving time in [0, t])
// and wraps around the vessel (s_j + X(t)) mod L, so the count in view is constant. Stop-go and
// stopped vessels therefore show exactly the model's flow over the frames.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/microcirculation.hpp"

namespace coherence::viz {

// Device presets (docs/rendering.md): field of view, sensor, frame rate, optics.
struct DevicePreset {
  std::string name;
  int width_px = 640;
  int height_px = 480;
  double field_width_um = 940.0;
  double field_height_um = 705.0;  // square pixels: height_px x um_per_px
  double fps = 30.0;
  double psf_sigma_um = 1.6;       // optical blur (Gaussian)
  double noise_sd = 3.0;           // sensor noise, grey levels
  double background_level = 185.0; // bright tissue, grey levels
  double exposure_s = 0.004;       // illumination pulse (realistic look's smear; assumed)
  double um_per_px() const { return field_width_um / width_px; }
};

// Named presets: "sdf" (MicroScan-like 640x480), "sdf-hd" (1280x960), "idf" (CytoCam-like).
DevicePreset device_preset(const std::string& name);  // throws std::invalid_argument
std::vector<std::string> device_preset_names();

// Optional image-quality artifacts, each a dial in [0, 1] (0 = off), after Massey's MIQS.
struct Artifacts {
  double pressure = 0.0;     // probe pressure: venular flow stops, capillaries blanch
  double saliva = 0.0;       // saliva/bubbles: bright blobs, lower contrast
  double motion_blur = 0.0;  // cells smeared along their motion within the exposure
  double defocus = 0.0;      // wider point-spread function
  double drift = 0.2;        // probe drift and hand jitter (0.2 = a steady hand)
};

// How real the picture looks (issue 22). `clean` is the original easy case (sharp bead-chains on
// smooth tissue; every existing clip and the scoring accuracy set use it, byte for byte);
// `realistic` switches on the optics and texture of a real sublingual frame. Every effect is a
// dial in [0, 1] (0 = off, 1 = the realistic preset's calibrated strength; docs/rendering.md).
struct Look {
  std::string name = "clean";
  bool realistic = false;     // false: the clean pipeline, whatever the dials say
  double columns = 0.0;       // red cells as continuous columns (cells stretched along the lumen)
  double exposure = 0.0;      // exposure smear along the flow (x the device's exposure time)
  double depth_blur = 0.0;    // defocus growing with each vessel's depth below the focal plane
  double saturation = 0.0;    // absorption saturating in wide vessels (scattered light fills in)
  double illumination = 0.0;  // uneven illumination across the field (fixed to the optics)
  double texture = 0.0;       // multi-scale tissue texture (moves with the tissue)
  double deep_vessels = 0.0;  // out-of-focus vessels below the focal plane (not in the truth)
  double debris = 0.0;        // dark static specks on the mucosa (not in the truth)
  double specular = 0.0;      // bright specular reflections
  double noise = 0.0;         // Poisson (shot) + read noise instead of the clean look's Gaussian
  // The tissue's state (set from the model's drivers; realistic look only): oedema lengthens the
  // distance from the surface to the vessels (more blur, less contrast, brighter scattering
  // tissue); stasis packs stopped cells into dense clumps (rouleaux) with plasma between them.
  double oedema = 0.0;        // 0 none .. 1 severe
};

// Named looks: "clean" (default of the library and of every existing caller) and "realistic".
Look look_preset(const std::string& name);  // throws std::invalid_argument
std::vector<std::string> look_names();
// Oedema index 0-1 from the model's drivers: inflammation-driven capillary leak and the tissue
// pressure it raises (docs/rendering.md).
double oedema_index(const model::MicroDrivers& d);

struct VesselScene {
  std::size_t vessel_index = 0;
  double velocity_um_per_s = 0.0;   // at this frame (after artifacts)
  double absorbance_scale = 1.0;    // pressure blanching
  std::vector<double> cell_arc_um;  // at this frame
};

struct FrameScene {
  int index = 0;
  double time_s = 0.0;              // since the start of the clip
  double offset_x_um = 0.0;         // probe drift + jitter: scene shift in the image
  double offset_y_um = 0.0;
  double brightness = 1.0;          // illumination flicker
  double psf_sigma_um = 1.6;
  double motion_blur_s = 0.0;       // exposure over which cells smear
  std::vector<VesselScene> vessels;
  double saliva = 0.0;              // bright blobs and lost contrast
};

// Everything fixed for a clip: the site, its vessel states, and the seeded cell draws.
struct ClipSetup {
  DevicePreset device;
  Artifacts artifacts;
  const model::Site* site = nullptr;
  std::vector<model::VesselState> states;  // over the clip's window
  double start_time_s = 0.0;               // model time of frame 0 (for stop-go phases)
  std::uint64_t seed = 1;
  std::vector<std::vector<double>> cell_arc0_um;      // per vessel, at t = 0
  std::vector<std::vector<double>> cell_lateral_um;   // per cell: offset across the lumen
  std::vector<double> drift_phase;                    // seeded phases of drift and jitter
  Look look;                                          // clean unless asked
  std::vector<double> depth_um;                       // per vessel: below the focal plane (realistic look)
};

// The patient's networks as a camera sees them: the image must show vessels everywhere, so a
// field larger than the model's sites (IDF) gets sites generated at the camera's size from the
// same seed; a smaller one sees part of each site (site_in_view).
model::Network network_for_camera(const model::MicrocirculationParams& micro, model::Network network,
                                  std::uint64_t seed, const DevicePreset& device);
// Sublingual site `index` (0-4) cut to the camera's field.
model::Site site_in_view(const model::Network& network, std::size_t index, const DevicePreset& device);

ClipSetup make_clip(const DevicePreset& device, const Artifacts& artifacts, const model::Site& site,
                    std::vector<model::VesselState> states, double start_time_s, std::uint64_t seed,
                    const Look& look = Look{});

// Distance travelled by a vessel's cells from the clip start to time t (s).
double cell_displacement_um(const model::Vessel& v, const model::VesselState& s, double t0_s, double t_s);

FrameScene build_frame(const ClipSetup& clip, int index);

// What of each vessel a viewer of the clip can see, as arc intervals [from, to] (um along the
// vessel's polyline). The model's state calls a vessel visible when red cells are expected in it;
// a clip shows only the cells drawn. A small vessel is seen where its drawn red cells pass during
// the clip's frames (each cell's swept arc, padded by a cell radius), a gap of at most
// kVisibleGapBridge_um between them being traced through by eye; a lone motionless cell is a dot,
// not a vessel; and no small vessel is seen where it lies inside a large vessel's image. Large
// vessels are seen whole. Deterministic in the clip.
inline constexpr double kVisibleGapBridge_um = 20.0;
inline constexpr double kRedCellRadius_um = 4.0;
using ArcIntervals = std::vector<std::pair<double, double>>;
std::vector<ArcIntervals> visible_arcs(const ClipSetup& clip, int frames);

// The visible parts of every vessel as polylines (site coordinates), with the vessel each came
// from; the input of ground-truth metrics and masks.
struct VisiblePiece {
  std::size_t vessel_index = 0;
  std::vector<model::PointUm> polyline;
};
std::vector<VisiblePiece> visible_pieces(const ClipSetup& clip, const std::vector<ArcIntervals>& arcs);

// The consensus measures of what the clip shows (the renderer's ground truth): the model's
// definitions over the visible pieces, each with its vessel's flow class.
model::SiteMetrics visible_metrics(const ClipSetup& clip, const std::vector<VisiblePiece>& pieces);
model::SiteMetrics visible_metrics(const ClipSetup& clip, int frames);  // arcs -> pieces -> metrics

}  // namespace coherence::viz
