// The bytes on a TCP transport socket: a one-time handshake, then framed messages.
//
// Every integer is little-endian so that hosts agree regardless of their byte order. The handshake
// opens with a magic and a version so that strays (other programs, other builds) are told apart
// from members before anything they send is trusted.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ultracc::transport::tcp::wire {

inline constexpr uint64_t kMagic = 0x3170'6374'6363'6c75;  // "ulcctcp1" read little-endian
inline constexpr uint32_t kVersion = 1;
// Group keys are job id + communicator id; anything longer is a stray, not a member.
inline constexpr size_t kMaxGroupKeyBytes = 4096;

inline void PutU32(uint8_t* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void PutU64(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint32_t GetU32(const uint8_t* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(in[i]) << (8 * i);
  return v;
}
inline uint64_t GetU64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(in[i]) << (8 * i);
  return v;
}

// Precedes every message payload: {tag, payload size}.
struct MessageHeader {
  uint64_t tag = 0;
  uint64_t size = 0;
};
inline constexpr size_t kMessageHeaderBytes = 16;
using MessageHeaderBytes = std::array<uint8_t, kMessageHeaderBytes>;

inline MessageHeaderBytes EncodeHeader(const MessageHeader& header) {
  MessageHeaderBytes bytes;
  PutU64(bytes.data(), header.tag);
  PutU64(bytes.data() + 8, header.size);
  return bytes;
}
inline MessageHeader DecodeHeader(const MessageHeaderBytes& bytes) {
  return {GetU64(bytes.data()), GetU64(bytes.data() + 8)};
}

// Sent by the dialing member right after it connects: magic, version, rank, size, key length,
// then the key bytes.
struct Hello {
  uint32_t version = kVersion;
  uint32_t rank = 0;
  uint32_t size = 0;
  std::string group_key;
};
inline constexpr size_t kHelloFixedBytes = 24;
using HelloFixedBytes = std::array<uint8_t, kHelloFixedBytes>;

inline std::vector<uint8_t> EncodeHello(const Hello& hello) {
  std::vector<uint8_t> bytes(kHelloFixedBytes + hello.group_key.size());
  PutU64(bytes.data(), kMagic);
  PutU32(bytes.data() + 8, hello.version);
  PutU32(bytes.data() + 12, hello.rank);
  PutU32(bytes.data() + 16, hello.size);
  PutU32(bytes.data() + 20, static_cast<uint32_t>(hello.group_key.size()));
  std::copy(hello.group_key.begin(), hello.group_key.end(), bytes.begin() + kHelloFixedBytes);
  return bytes;
}
// Decodes the fixed part; the key itself follows in `*key_bytes` bytes. Nullopt for a stray.
inline std::optional<Hello> DecodeHelloFixed(const HelloFixedBytes& bytes, size_t* key_bytes) {
  if (GetU64(bytes.data()) != kMagic) return std::nullopt;
  *key_bytes = GetU32(bytes.data() + 20);
  if (*key_bytes > kMaxGroupKeyBytes) return std::nullopt;
  Hello hello;
  hello.version = GetU32(bytes.data() + 8);
  hello.rank = GetU32(bytes.data() + 12);
  hello.size = GetU32(bytes.data() + 16);
  return hello;
}

// The accepting member's answer to a Hello. Anything but kAccepted is followed by a close.
enum class Verdict : uint32_t {
  kAccepted = 0,
  kWrongVersion = 1,
  kWrongGroupKey = 2,
  kWrongSize = 3,
  kRankOutOfRange = 4,
  kDuplicateRank = 5,
};

inline const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAccepted:
      return "accepted";
    case Verdict::kWrongVersion:
      return "protocol version mismatch";
    case Verdict::kWrongGroupKey:
      return "group key mismatch (a member of another job or communicator)";
    case Verdict::kWrongSize:
      return "group size mismatch";
    case Verdict::kRankOutOfRange:
      return "rank out of range or not expected to dial this member";
    case Verdict::kDuplicateRank:
      return "rank already connected";
  }
  return "unknown verdict";
}

// Magic, verdict, and the accepting member's rank so the dialer can check it reached the right one.
struct Ack {
  Verdict verdict = Verdict::kAccepted;
  uint32_t rank = 0;
};
inline constexpr size_t kAckBytes = 16;
using AckBytes = std::array<uint8_t, kAckBytes>;

inline AckBytes EncodeAck(const Ack& ack) {
  AckBytes bytes;
  PutU64(bytes.data(), kMagic);
  PutU32(bytes.data() + 8, static_cast<uint32_t>(ack.verdict));
  PutU32(bytes.data() + 12, ack.rank);
  return bytes;
}
inline std::optional<Ack> DecodeAck(const AckBytes& bytes) {
  if (GetU64(bytes.data()) != kMagic) return std::nullopt;
  return Ack{static_cast<Verdict>(GetU32(bytes.data() + 8)), GetU32(bytes.data() + 12)};
}

}  // namespace ultracc::transport::tcp::wire
