#include <utility>

#include "coord/coordinators.h"
#include "tern/coordinator.h"
#include "tern/parameter_server.h"

namespace tern {

SharedVector::SharedVector(const std::string& coordinator_uri, std::string name)
    : name_(std::move(name)) {
  CheckVectorName(name_);  // before connecting: the cheaper error first
  coordinator_ = Coordinator::Open(coordinator_uri);
}

SharedVector::SharedVector(SharedVector&&) noexcept = default;
SharedVector& SharedVector::operator=(SharedVector&&) noexcept = default;
SharedVector::~SharedVector() = default;

void SharedVector::Add(const std::vector<double>& deltas, uint64_t offset) {
  coordinator_->AddToVector(name_, offset, deltas);
}

std::vector<double> SharedVector::Read() {
  return coordinator_->ReadVector(name_);
}

}  // namespace tern
