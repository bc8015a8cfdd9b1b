// Table, JSON and CSV output of the benchmark; see bench_report.h.
#include "tools/bench/bench_report.h"

#include <cerrno>
#include <cstring>

namespace ultracc::bench {
namespace {

// nccl-tests' time format: fewer decimals as the number grows, always 7 wide.
std::string TimeText(double us) {
  char text[32];
  std::snprintf(text, sizeof(text), us >= 10000.0 ? "%7.0f" : us >= 100.0 ? "%7.1f" : "%7.2f", us);
  return text;
}

std::string WrongText(long wrong) { return wrong < 0 ? "N/A" : std::to_string(wrong); }

void PrintPlacement(FILE* out, const PlacementResult& p) {
  std::fprintf(out, "  %7s  %6.2f  %6.2f  %5s", TimeText(p.time_us).c_str(), p.algbw, p.busbw,
               WrongText(p.wrong).c_str());
}

void PrintMissingPlacement(FILE* out) {
  std::fprintf(out, "  %7s  %6s  %6s  %5s", "N/A", "N/A", "N/A", "N/A");
}

std::string JsonPlacement(const PlacementResult& p) {
  char text[512];
  std::snprintf(text, sizeof(text),
                "{\"time_us\": %.6g, \"algbw\": %.9g, \"busbw\": %.9g, \"p50_us\": %.6g, "
                "\"p99_us\": %.6g, \"wrong\": %s}",
                p.time_us, p.algbw, p.busbw, p.p50_us, p.p99_us,
                p.wrong < 0 ? "null" : std::to_string(p.wrong).c_str());
  return text;
}

FILE* OpenFor(const std::string& path, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) *error = "cannot write " + path + ": " + std::strerror(errno);
  return f;
}

}  // namespace

void TableWriter::Header(const std::string& collective) const {
  std::fprintf(out_, "#\n# Collective test starting: %s\n#\n", collective.c_str());
  std::fprintf(out_,
               "# %10s  %12s  %8s  %6s  %6s           out-of-place                       "
               "in-place          out-of-place      in-place\n",
               "", "", "", "", "");
  std::fprintf(out_,
               "# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s %6s  %7s  %6s  %6s %6s  %7s  %7s  "
               "%7s  %7s%s%s\n",
               "size", "count", "type", "redop", "root", "time", "algbw", "busbw", "#wrong", "time",
               "algbw", "busbw", "#wrong", "p50", "p99", "p50", "p99",
               show_predicted_ ? "  predicted" : "", show_algorithm_ ? "  algorithm" : "");
  std::fprintf(out_,
               "# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %5s  %7s  %6s  %6s  %5s  %7s  %7s  "
               "%7s  %7s%s\n",
               "(B)", "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)",
               "(GB/s)", "", "(us)", "(us)", "(us)", "(us)", show_predicted_ ? "       (us)" : "");
  std::fflush(out_);
}

void TableWriter::Row(const ResultRow& row) const {
  std::fprintf(out_, "%12zu  %12zu  %8s  %6s  %6d", row.size, row.count, row.type.c_str(),
               row.redop.c_str(), row.root);
  PrintPlacement(out_, row.out_of_place);
  if (row.has_in_place) {
    PrintPlacement(out_, row.in_place);
  } else {
    PrintMissingPlacement(out_);
  }
  std::fprintf(out_, "  %7s  %7s", TimeText(row.out_of_place.p50_us).c_str(),
               TimeText(row.out_of_place.p99_us).c_str());
  if (row.has_in_place) {
    std::fprintf(out_, "  %7s  %7s", TimeText(row.in_place.p50_us).c_str(),
                 TimeText(row.in_place.p99_us).c_str());
  } else {
    std::fprintf(out_, "  %7s  %7s", "N/A", "N/A");
  }
  if (show_predicted_) {
    std::fprintf(out_, "  %9s", row.predicted_us < 0 ? "N/A" : TimeText(row.predicted_us).c_str());
  }
  if (show_algorithm_) std::fprintf(out_, "  %s", row.algorithm.c_str());
  std::fprintf(out_, "\n");
  std::fflush(out_);
}

void TableWriter::Footer(const CollectiveSummary& s) const {
  std::fprintf(out_, "# Out of bounds values : %ld %s\n", s.out_of_bounds,
               s.out_of_bounds == 0 ? "OK" : "FAILED");
  std::fprintf(out_, "# Avg bus bandwidth    : %g \n#\n", s.avg_busbw);
  std::fflush(out_);
}

CollectiveSummary Summarize(const std::string& collective, const std::vector<ResultRow>& rows) {
  CollectiveSummary s{collective, 0, 0};
  int placements = 0;
  for (const ResultRow& r : rows) {
    if (r.collective != collective) continue;
    s.out_of_bounds += r.out_of_place.wrong > 0 ? r.out_of_place.wrong : 0;
    s.avg_busbw += r.out_of_place.busbw;
    ++placements;
    if (r.has_in_place) {
      s.out_of_bounds += r.in_place.wrong > 0 ? r.in_place.wrong : 0;
      s.avg_busbw += r.in_place.busbw;
      ++placements;
    }
  }
  if (placements > 0) s.avg_busbw /= placements;
  return s;
}

bool WriteJson(const std::string& path, const RunInfo& info, const std::vector<ResultRow>& rows,
               const std::vector<CollectiveSummary>& summaries, std::string* error) {
  FILE* f = OpenFor(path, error);
  if (f == nullptr) return false;
  std::fprintf(f,
               "{\n  \"program\": \"ultracc_perf\",\n  \"nranks\": %d,\n  \"nodes\": %d,\n"
               "  \"iters\": %d,\n  \"warmup\": %d,\n  \"check\": %d,\n  \"blocking\": %d,\n"
               "  \"average\": %d,\n  \"results\": [",
               info.nranks, info.nodes, info.iters, info.warmup, info.check, info.blocking,
               info.average);
  for (size_t i = 0; i < rows.size(); ++i) {
    const ResultRow& r = rows[i];
    std::fprintf(f,
                 "%s\n    {\"collective\": \"%s\", \"size\": %zu, \"count\": %zu, \"type\": "
                 "\"%s\", \"redop\": \"%s\", \"root\": %d, \"algorithm\": \"%s\",\n"
                 "     \"predicted_us\": %s,\n"
                 "     \"out_of_place\": %s,\n     \"in_place\": %s}",
                 i == 0 ? "" : ",", r.collective.c_str(), r.size, r.count, r.type.c_str(),
                 r.redop.c_str(), r.root, r.algorithm.c_str(),
                 r.predicted_us < 0 ? "null" : std::to_string(r.predicted_us).c_str(),
                 JsonPlacement(r.out_of_place).c_str(),
                 r.has_in_place ? JsonPlacement(r.in_place).c_str() : "null");
  }
  std::fprintf(f, "\n  ],\n  \"summaries\": [");
  for (size_t i = 0; i < summaries.size(); ++i) {
    std::fprintf(f, "%s\n    {\"collective\": \"%s\", \"out_of_bounds\": %ld, \"avg_busbw\": %.9g}",
                 i == 0 ? "" : ",", summaries[i].collective.c_str(), summaries[i].out_of_bounds,
                 summaries[i].avg_busbw);
  }
  std::fprintf(f, "\n  ]\n}\n");
  bool ok = std::fclose(f) == 0;
  if (!ok) *error = "cannot write " + path;
  return ok;
}

bool WriteCsv(const std::string& path, const std::vector<ResultRow>& rows, std::string* error) {
  FILE* f = OpenFor(path, error);
  if (f == nullptr) return false;
  std::fprintf(f,
               "collective,size,count,type,redop,root,algorithm,"
               "oop_time_us,oop_algbw,oop_busbw,oop_p50_us,oop_p99_us,oop_wrong,"
               "ip_time_us,ip_algbw,ip_busbw,ip_p50_us,ip_p99_us,ip_wrong,predicted_us\n");
  auto placement = [&](const PlacementResult& p, bool present) {
    if (!present) {
      std::fprintf(f, ",,,,,");
      return;
    }
    std::fprintf(f, "%.6g,%.9g,%.9g,%.6g,%.6g,%s", p.time_us, p.algbw, p.busbw, p.p50_us, p.p99_us,
                 p.wrong < 0 ? "" : std::to_string(p.wrong).c_str());
  };
  for (const ResultRow& r : rows) {
    std::fprintf(f, "%s,%zu,%zu,%s,%s,%d,%s,", r.collective.c_str(), r.size, r.count,
                 r.type.c_str(), r.redop.c_str(), r.root, r.algorithm.c_str());
    placement(r.out_of_place, true);
    std::fprintf(f, ",");
    placement(r.in_place, r.has_in_place);
    std::fprintf(f, ",%s\n", r.predicted_us < 0 ? "" : std::to_string(r.predicted_us).c_str());
  }
  bool ok = std::fclose(f) == 0;
  if (!ok) *error = "cannot write " + path;
  return ok;
}

}  // namespace ultracc::bench
