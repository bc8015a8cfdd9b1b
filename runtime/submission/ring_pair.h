// The two rings a rank shares with its node daemon, laid out in one shared region: submissions
// (rank -> daemon) first, then completions (daemon -> rank).
#pragma once

#include "absl/status/statusor.h"
#include "runtime/shm/spsc_ring.h"
#include "runtime/submission/op_descriptor.h"

namespace ultracc::submission {

struct RingPair {
  shm::SpscRing<OpDescriptor> submissions;
  shm::SpscRing<OpCompletion> completions;

  static constexpr size_t SubmissionBytes() {
    return (shm::SpscRing<OpDescriptor>::BytesFor(kRingCapacity) + 63) / 64 * 64;
  }
  static constexpr size_t Bytes() {
    return SubmissionBytes() + shm::SpscRing<OpCompletion>::BytesFor(kRingCapacity);
  }
  // Formats both rings in `base` (Bytes() bytes, 64-byte aligned); done by the rank.
  static RingPair Init(void* base) {
    char* p = static_cast<char*>(base);
    return RingPair{shm::SpscRing<OpDescriptor>::Init(p, kRingCapacity),
                    shm::SpscRing<OpCompletion>::Init(p + SubmissionBytes(), kRingCapacity)};
  }
  // Attaches to rings the rank formatted; done by the daemon.
  static absl::StatusOr<RingPair> Attach(void* base, size_t bytes) {
    char* p = static_cast<char*>(base);
    if (bytes < Bytes()) {
      return absl::InvalidArgumentError(
          absl::StrCat("rings region of ", bytes, " bytes is smaller than ", Bytes()));
    }
    auto submissions = shm::SpscRing<OpDescriptor>::Attach(p, SubmissionBytes());
    if (!submissions.ok()) return submissions.status();
    auto completions =
        shm::SpscRing<OpCompletion>::Attach(p + SubmissionBytes(), bytes - SubmissionBytes());
    if (!completions.ok()) return completions.status();
    return RingPair{*submissions, *completions};
  }
};

}  // namespace ultracc::submission
