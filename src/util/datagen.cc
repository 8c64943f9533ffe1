// Generators for util/datagen.h. Each writes tokens through a Sink that stops at the end of
// the buffer, so the output for a size is the prefix of the output for any larger size.
#include "util/datagen.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "util/rng.h"

namespace accz::datagen {
namespace {

// Appends bytes until the buffer is full; generators loop while !full().
class Sink {
 public:
  explicit Sink(MutableByteSpan out) : out_(out) {}
  bool full() const { return pos_ == out_.size(); }
  size_t pos() const { return pos_; }
  void put(std::string_view s) {
    size_t n = std::min(s.size(), out_.size() - pos_);
    std::memcpy(out_.data() + pos_, s.data(), n);
    pos_ += n;
  }
  void put(char c) {
    if (!full()) out_[pos_++] = static_cast<uint8_t>(c);
  }
  void put_bytes(const uint8_t* p, size_t n) {
    n = std::min(n, out_.size() - pos_);
    std::memcpy(out_.data() + pos_, p, n);
    pos_ += n;
  }
  // An LZ77-style copy from `distance` bytes back; may overlap its own output.
  void copy(size_t distance, size_t n) {
    for (size_t i = 0; i < n && !full(); ++i, ++pos_) out_[pos_] = out_[pos_ - distance];
  }

 private:
  MutableByteSpan out_;
  size_t pos_ = 0;
};

// --- text ---

constexpr std::array<std::string_view, 19> kOnsets = {"b",  "c", "d",  "f",  "g", "h", "l",
                                                      "m",  "n", "p",  "r",  "s", "t", "th",
                                                      "st", "w", "br", "ch", ""};
constexpr std::array<std::string_view, 8> kVowels = {"a", "e", "i", "o", "u", "ea", "ou", "y"};
constexpr std::array<std::string_view, 10> kCodas = {"",  "",  "",   "n",  "r",
                                                     "s", "t", "nd", "ll", "ng"};

// A vocabulary whose frequent words are short, as in natural languages, drawn by a Zipf law:
// word k (0-based rank) has weight proportional to 1 / (k + 1).
class Vocabulary {
 public:
  static constexpr size_t kWords = 4096;

  explicit Vocabulary(Rng& rng) {
    words_.reserve(kWords);
    cumulative_.reserve(kWords);
    uint64_t total = 0;
    for (size_t k = 0; k < kWords; ++k) {
      int syllables = k < 40 ? 1 : k < 600 ? 2 : 3;
      std::string w;
      for (int s = 0; s < syllables; ++s) {
        w += kOnsets[rng.below(kOnsets.size())];
        w += kVowels[rng.below(kVowels.size())];
        w += kCodas[rng.below(kCodas.size())];
      }
      words_.push_back(std::move(w));
      total += (uint64_t{1} << 24) / (k + 1);
      cumulative_.push_back(total);
    }
  }

  const std::string& draw(Rng& rng) const {
    uint64_t r = rng.next() % cumulative_.back();
    size_t k = std::upper_bound(cumulative_.begin(), cumulative_.end(), r) - cumulative_.begin();
    return words_[k];
  }

 private:
  std::vector<std::string> words_;
  std::vector<uint64_t> cumulative_;
};

void fill_text(uint64_t seed, Sink& sink) {
  Rng rng(seed);
  Vocabulary vocab(rng);
  constexpr size_t kColumns = 72;
  size_t column = 0;
  std::string word;
  auto emit = [&](std::string_view w) {
    if (column > 0 && column + 1 + w.size() > kColumns) {
      sink.put('\n');
      column = 0;
    } else if (column > 0) {
      sink.put(' ');
      ++column;
    }
    sink.put(w);
    column += w.size();
  };
  while (!sink.full()) {
    uint32_t length = rng.between(4, 18);
    for (uint32_t i = 0; i < length && !sink.full(); ++i) {
      if (rng.chance(1, 40)) {
        word = std::to_string(rng.between(1, 2000));
      } else {
        word = vocab.draw(rng);
        if (i == 0) word[0] = static_cast<char>(word[0] - 'a' + 'A');
      }
      if (i + 1 == length) {
        uint32_t end = rng.below(100);
        word += end < 85 ? '.' : end < 93 ? '?' : '!';
      } else if (rng.chance(1, 10)) {
        word += ',';
      }
      emit(word);
    }
    if (rng.chance(1, 6)) {
      sink.put("\n\n");
      column = 0;
    }
  }
}

// --- binary ---

constexpr std::array<std::string_view, 8> kTags = {"GET",  "PUT",   "POST", "DELETE",
                                                   "HEAD", "PATCH", "LIST", "SYNC"};

void put_le(uint8_t* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// 32-byte records: id u32, time u32, type u16, flags u16, user u32, value u32, counter u32,
// tag char[8].
void fill_binary(uint64_t seed, Sink& sink) {
  Rng rng(seed);
  uint32_t id = static_cast<uint32_t>(rng.next());
  uint32_t time = 1'600'000'000u + rng.below(100'000'000);
  uint32_t counter = 0;
  std::array<uint32_t, 200> users;
  for (auto& u : users) u = static_cast<uint32_t>(rng.next());
  std::array<uint8_t, 32> rec;
  while (!sink.full()) {
    rec.fill(0);
    uint32_t delta = rng.below(8);
    time += delta < 5 ? 1 : delta < 7 ? 0 : rng.below(4);
    if (rng.chance(1, 4)) ++counter;
    uint32_t type = rng.below(3) == 0 ? rng.below(6) : 0;
    uint32_t flags = rng.chance(1, 16) ? 1u << rng.below(4) : 0;
    uint32_t value = rng.chance(1, 50) ? static_cast<uint32_t>(rng.next()) : rng.below(256);
    put_le(&rec[0], id++, 4);
    put_le(&rec[4], time, 4);
    put_le(&rec[8], type, 2);
    put_le(&rec[10], flags, 2);
    put_le(&rec[12], users[rng.below(rng.chance(1, 2) ? 10 : users.size())], 4);
    put_le(&rec[16], value, 4);
    put_le(&rec[20], counter, 4);
    std::string_view tag = kTags[rng.below(rng.chance(3, 4) ? 2 : kTags.size())];
    std::memcpy(&rec[24], tag.data(), tag.size());
    sink.put_bytes(rec.data(), rec.size());
  }
}

// --- random ---

void fill_random(uint64_t seed, Sink& sink) {
  Rng rng(seed);
  uint8_t word[8];
  while (!sink.full()) {
    put_le(word, rng.next(), 8);
    sink.put_bytes(word, sizeof word);
  }
}

// --- mix ---

// Literal runs and copies have the same length distribution, so the share of runs that are
// literal is also the share of bytes that are literal.
void fill_mix(uint64_t seed, double literal_fraction, Sink& sink) {
  Rng rng(seed);
  double f = std::clamp(literal_fraction, 0.0, 1.0);
  uint32_t per_million = static_cast<uint32_t>(f * 1'000'000.0 + 0.5);
  constexpr size_t kWindow = 32 * 1024;
  constexpr size_t kMinHistory = 64;  // copies need something to copy from
  uint8_t word[8];
  while (!sink.full()) {
    uint32_t length = rng.between(4, 44);
    if (sink.pos() < kMinHistory || rng.chance(per_million, 1'000'000)) {
      for (uint32_t i = 0; i < length; i += 8) {
        put_le(word, rng.next(), 8);
        sink.put_bytes(word, std::min<size_t>(8, length - i));
      }
    } else {
      size_t distance = rng.between(1, static_cast<uint32_t>(std::min(sink.pos(), kWindow)));
      sink.copy(distance, length);
    }
  }
}

}  // namespace

std::string_view to_string(Kind k) {
  switch (k) {
    case Kind::kText:
      return "text";
    case Kind::kBinary:
      return "binary";
    case Kind::kRandom:
      return "random";
    case Kind::kMix:
      return "mix";
  }
  return "?";
}

std::optional<Kind> parse_kind(std::string_view name) {
  if (name == "text") return Kind::kText;
  if (name == "binary") return Kind::kBinary;
  if (name == "random" || name == "incompressible") return Kind::kRandom;
  if (name == "mix") return Kind::kMix;
  return std::nullopt;
}

void fill(const Options& options, MutableByteSpan out) {
  Sink sink(out);
  switch (options.kind) {
    case Kind::kText:
      fill_text(options.seed, sink);
      break;
    case Kind::kBinary:
      fill_binary(options.seed, sink);
      break;
    case Kind::kRandom:
      fill_random(options.seed, sink);
      break;
    case Kind::kMix:
      fill_mix(options.seed, options.literal_fraction, sink);
      break;
  }
}

std::vector<uint8_t> generate(const Options& options, size_t size) {
  std::vector<uint8_t> out(size);
  fill(options, out);
  return out;
}

}  // namespace accz::datagen
