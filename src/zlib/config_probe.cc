// A program linked to the libz.so.1 drop-in, run by zlib_config_test with a configuration file:
// one compress2 (level 3, libdeflate's), one uncompress and one crc32 call (ISA-L's) on 64 KiB
// of text, which the default engines serve, so that the statistics at exit show whether the
// file's settings were in effect. Exits 0 when the round trip is exact.
#include <zlib.h>

#include <cstdio>
#include <vector>

int main() {
  std::vector<unsigned char> text;
  for (unsigned i = 0; text.size() < (64u << 10); ++i) {
    char line[64];
    const int n = std::snprintf(line, sizeof line, "line %u of the configuration probe\n", i);
    text.insert(text.end(), line, line + n);
  }
  uLongf packed_size = compressBound(text.size());
  std::vector<unsigned char> packed(packed_size);
  if (compress2(packed.data(), &packed_size, text.data(), text.size(), 3) != Z_OK) return 1;
  uLongf back_size = text.size();
  std::vector<unsigned char> back(back_size);
  if (uncompress(back.data(), &back_size, packed.data(), packed_size) != Z_OK) return 1;
  if (back != text) return 1;
  return crc32(0, text.data(), static_cast<uInt>(text.size())) != 0 ? 0 : 1;
}
