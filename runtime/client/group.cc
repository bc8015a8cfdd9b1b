// Grouped and single issue; see group.h.
#include "runtime/client/group.h"

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ultracc::client {
namespace {

// The operations one communicator collected in the open group.
struct GroupEntry {
  Communicator* comm = nullptr;
  Stream* stream = nullptr;
  std::vector<Operation> ops;
};

thread_local int t_depth = 0;
thread_local std::vector<GroupEntry> t_entries;

// Issues `ops` as one ticket; runs it now on a null stream, else queues it.
absl::Status Launch(Communicator* comm, Stream* stream, std::vector<Operation> ops) {
  const uint64_t ticket = comm->Issue(absl::MakeSpan(ops));
  if (stream == nullptr) return comm->Run(ticket, ops);
  stream->Enqueue([comm, ticket, ops = std::move(ops)] {
    absl::Status s = comm->Run(ticket, ops);
    if (!s.ok()) comm->set_last_error(std::string(s.message()));
    return s;
  });
  return absl::OkStatus();
}

}  // namespace

absl::Status IssueOperation(Communicator* comm, Stream* stream, Operation op) {
  if (t_depth == 0) {
    std::vector<Operation> ops;
    ops.push_back(std::move(op));
    return Launch(comm, stream, std::move(ops));
  }
  for (GroupEntry& entry : t_entries) {
    if (entry.comm != comm) continue;
    if (entry.stream != stream) {
      return absl::FailedPreconditionError(absl::StrCat(
          "rank ", comm->rank(), ": ", OpKindName(op.kind),
          " in a group uses another stream than the communicator's earlier operations in the "
          "same group; use one stream per communicator in a group"));
    }
    entry.ops.push_back(std::move(op));
    return absl::OkStatus();
  }
  GroupEntry entry;
  entry.comm = comm;
  entry.stream = stream;
  entry.ops.push_back(std::move(op));
  t_entries.push_back(std::move(entry));
  return absl::OkStatus();
}

void GroupStart() { ++t_depth; }

bool InGroup() { return t_depth > 0; }

absl::Status GroupEnd() {
  if (t_depth == 0) {
    return absl::FailedPreconditionError("ultraccGroupEnd without a matching ultraccGroupStart");
  }
  if (--t_depth > 0) return absl::OkStatus();
  std::vector<GroupEntry> entries;
  entries.swap(t_entries);
  // Communicators on a null stream run concurrently, as one group: one blocking the other could
  // deadlock when their ranks depend on each other.
  std::vector<absl::Status> results(entries.size());
  std::vector<std::thread> blocking;
  for (size_t i = 0; i < entries.size(); ++i) {
    GroupEntry& e = entries[i];
    if (e.stream == nullptr && entries.size() > 1) {
      blocking.emplace_back([&results, &e, i] {
        results[i] = Launch(e.comm, nullptr, std::move(e.ops));
      });
    } else {
      results[i] = Launch(e.comm, e.stream, std::move(e.ops));
    }
  }
  for (std::thread& t : blocking) t.join();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!results[i].ok()) {
      entries[i].comm->set_last_error(std::string(results[i].message()));
      return results[i];
    }
  }
  return absl::OkStatus();
}

void ForgetGroupedOperations(Communicator* comm) {
  std::erase_if(t_entries, [comm](const GroupEntry& e) { return e.comm == comm; });
}

}  // namespace ultracc::client
