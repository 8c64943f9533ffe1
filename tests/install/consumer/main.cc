// A user's program: compress and decompress through the installed libaccz.
#include <accz/accel.h>

#include <cstdio>
#include <string>
#include <vector>

int main() {
  std::string err;
  auto accel = accz::Accel::open({}, &err);
  if (!accel) {
    std::fprintf(stderr, "open: %s\n", err.c_str());
    return 1;
  }
  std::string text;
  for (int i = 0; i < 2000; ++i)
    text += "installed accz compresses this line " + std::to_string(i) + "\n";
  std::vector<uint8_t> packed(text.size() + 1024), back(text.size());

  accz::ByteSpan src[] = {{reinterpret_cast<const uint8_t*>(text.data()), text.size()}};
  accz::MutableByteSpan dst[] = {packed};
  accz::Request c;
  c.op = accz::Operation::kCompress;
  c.framing = accz::Framing::kGzip;
  c.src = src;
  c.dst = dst;
  accz::Result r = accel->run(c);
  if (r.status != accz::Status::kOk) return 2;

  accz::ByteSpan src2[] = {{packed.data(), r.produced}};
  accz::MutableByteSpan dst2[] = {back};
  accz::Request d;
  d.op = accz::Operation::kDecompress;
  d.framing = accz::Framing::kGzip;
  d.src = src2;
  d.dst = dst2;
  accz::Result r2 = accel->run(d);
  if (r2.status != accz::Status::kOk || r2.produced != text.size() ||
      std::string(back.begin(), back.end()) != text)
    return 3;
  std::printf("ok: %zu -> %zu bytes and back\n", text.size(), r.produced);
  return 0;
}
