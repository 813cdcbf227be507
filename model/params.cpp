#include "model/params.hpp"

namespace coherence::model {

double weight_scale(const ModelParams& p) { return p.patient.weight_kg / 70.0; }

double capacity_scale(const ModelParams& p) {
  return weight_scale(p) * p.hemodynamics.blood_volume_mL_per_kg / 70.0;
}

}  // namespace coherence::model
