// The schedule IR: what one participant of a collective does, as data. Algorithm generators
// (ring.h, ...) produce schedules; the Executor runs them over a transport and the simulator over a
// modelled topology, so neither an algorithm nor a transport knows the other.
//
// A schedule is a list of steps grouped into rounds. All steps of a round are started together and
// the round ends when every one of them has finished; rounds run in order. Steps of one round must
// therefore be independent: no step may read or write elements another step of the same round
// writes. Element offsets and counts are in elements of the operation's data type, against three
// symbolic buffers (the caller's input and output, and scratch the executor owns).
//
// Message matching: within one round, the i-th message rank r sends to rank q matches the i-th
// message q receives from r in that round (i counts in step order). Both sides must list such steps
// in the same order and with the same element count; a step with count 0 is still a message.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ultracc::collectives {

enum class BufferId : int { kInput, kOutput, kScratch };

struct BufferRef {
  BufferId buffer = BufferId::kOutput;
  size_t offset = 0;  // in elements
};

enum class StepKind : int {
  kSend,        // send src[0, count) to peer
  kRecv,        // receive count elements from peer into dst
  kRecvReduce,  // receive count elements from peer and combine: dst = dst op received
  kCopy,        // local: dst = src
  kReduce,      // local: dst = dst op src (src and dst must not overlap)
};

struct Step {
  StepKind kind = StepKind::kSend;
  int round = 0;
  int peer = -1;  // the other rank of a kSend / kRecv / kRecvReduce; -1 for local steps
  BufferRef src;  // read by kSend, kCopy, kReduce
  BufferRef dst;  // written by kRecv, kRecvReduce, kCopy, kReduce
  size_t count = 0;

  static Step Send(int round, int peer, BufferRef src, size_t count);
  static Step Recv(int round, int peer, BufferRef dst, size_t count);
  static Step RecvReduce(int round, int peer, BufferRef dst, size_t count);
  static Step Copy(int round, BufferRef src, BufferRef dst, size_t count);
  static Step Reduce(int round, BufferRef src, BufferRef dst, size_t count);

  bool IsTransfer() const {
    return kind == StepKind::kSend || kind == StepKind::kRecv || kind == StepKind::kRecvReduce;
  }
  bool ReadsSrc() const { return kind == StepKind::kSend || !IsTransfer(); }
  bool WritesDst() const { return kind != StepKind::kSend; }
};

struct Schedule {
  int rank = 0;
  int size = 1;
  // Extents (in elements) the buffers must have for the steps to stay in bounds.
  size_t input_elements = 0;
  size_t output_elements = 0;
  size_t scratch_elements = 0;
  std::vector<Step> steps;  // ordered by round

  // One past the highest round used (0 for an empty schedule).
  int NumRounds() const;
  // One line per step, e.g. "round 2: recv-reduce output[6, 9) from 3".
  std::string DebugString() const;
};

// Appends `part`'s steps to `schedule` with their rounds shifted by `round_offset`, and widens
// the schedule's extents to cover `part`'s. Used to compose collectives from phases (e.g. a reduce
// followed by a broadcast); `round_offset` must be at least schedule->NumRounds().
void AppendShifted(const Schedule& part, int round_offset, Schedule* schedule);

// Checks what can be checked locally: rounds ascending and non-negative, peers in range and not
// this rank, every range inside its buffer's extent. Errors name the step and the bad value.
absl::Status ValidateSchedule(const Schedule& schedule);

absl::string_view StepKindName(StepKind kind);
absl::string_view BufferName(BufferId buffer);

}  // namespace ultracc::collectives
