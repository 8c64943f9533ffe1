// Every one of the drop-in's 88 functions, called through the drop-in with arguments whose
// effect is visible, so a forwarder that drops, swaps or truncates an argument fails here.
// Values are zlib 1.2.13's documented (or, for undocumented functions, stock) results.
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using Bytes = std::vector<Bytef>;

Bytes sample(size_t n, unsigned seed) {
  Bytes out(n);
  unsigned x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    out[i] = static_cast<Bytef>("the quick brown fox jumps over a lazy dog "[(x >> 16) % 42]);
  }
  return out;
}

const Bytef* bytes(const char* s) { return reinterpret_cast<const Bytef*>(s); }

// Inflates a whole stream with the given windowBits; empty on any error.
Bytes inflate_all(const Bytes& in, int window_bits) {
  z_stream s{};
  if (inflateInit2(&s, window_bits) != Z_OK) return {};
  Bytes out(1 << 20);
  s.next_in = const_cast<Bytef*>(in.data());
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&s, Z_FINISH);
  out.resize(s.total_out);
  inflateEnd(&s);
  return rc == Z_STREAM_END ? out : Bytes{};
}

TEST(DropinApi, Checksums) {
  EXPECT_EQ(crc32(0, bytes("123456789"), 9), 0xCBF43926u);
  EXPECT_EQ(crc32_z(0, bytes("123456789"), 9), 0xCBF43926u);
  EXPECT_EQ(adler32(1, bytes("Wikipedia"), 9), 0x11E60398u);
  EXPECT_EQ(adler32_z(1, bytes("Wikipedia"), 9), 0x11E60398u);
  EXPECT_EQ(get_crc_table()[1], 0x77073096u);

  const Bytes a = sample(5000, 1), b = sample(7777, 2);
  Bytes ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  const uLong ca = crc32(0, a.data(), a.size()), cb = crc32(0, b.data(), b.size());
  const uLong cab = crc32(0, ab.data(), ab.size());
  EXPECT_EQ(crc32_combine(ca, cb, b.size()), cab);
  EXPECT_EQ(crc32_combine64(ca, cb, b.size()), cab);
  EXPECT_EQ(crc32_combine_op(ca, cb, crc32_combine_gen(b.size())), cab);
  EXPECT_EQ(crc32_combine_op(ca, cb, crc32_combine_gen64(b.size())), cab);
  const uLong aa = adler32(1, a.data(), a.size()), ab2 = adler32(1, b.data(), b.size());
  const uLong aab = adler32(1, ab.data(), ab.size());
  EXPECT_EQ(adler32_combine(aa, ab2, b.size()), aab);
  EXPECT_EQ(adler32_combine64(aa, ab2, b.size()), aab);
}

TEST(DropinApi, Utility) {
  EXPECT_STREQ(zError(Z_DATA_ERROR), "data error");
  EXPECT_EQ(zlibCompileFlags() & 0xff, 0xa9u);  // uInt 32, uLong/voidpf/z_off_t 64 bits
  EXPECT_EQ(compressBound(100000), 100000u + 24u + 6u + 0u + 13u);

  const Bytes in = sample(100000, 3);
  Bytes packed(compressBound(in.size()));
  uLongf packed_len = packed.size();
  ASSERT_EQ(compress(packed.data(), &packed_len, in.data(), in.size()), Z_OK);
  Bytes packed9(packed.size());
  uLongf packed9_len = packed9.size();
  ASSERT_EQ(compress2(packed9.data(), &packed9_len, in.data(), in.size(), 9), Z_OK);
  Bytes stored(packed.size());
  uLongf stored_len = stored.size();
  ASSERT_EQ(compress2(stored.data(), &stored_len, in.data(), in.size(), 0), Z_OK);
  EXPECT_GT(stored_len, in.size());  // level 0 reached the real zlib: stored blocks

  Bytes back(in.size());
  uLongf back_len = back.size();
  ASSERT_EQ(uncompress(back.data(), &back_len, packed.data(), packed_len), Z_OK);
  EXPECT_EQ(back, in);
  back_len = back.size();
  uLong consumed = packed9_len + 5;  // trailing bytes are not consumed
  Bytes with_tail(packed9.begin(), packed9.begin() + packed9_len);
  with_tail.insert(with_tail.end(), 5, 0xAA);
  ASSERT_EQ(uncompress2(back.data(), &back_len, with_tail.data(), &consumed), Z_OK);
  EXPECT_EQ(consumed, packed9_len);
  EXPECT_EQ(back, in);
  back_len = 10;
  EXPECT_EQ(uncompress(back.data(), &back_len, packed.data(), packed_len), Z_BUF_ERROR);
}

TEST(DropinApi, DeflateFamilyWithGzipHeader) {
  const Bytes in = sample(200000, 4);
  z_stream d{};
  ASSERT_EQ(deflateInit2(&d, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
  gz_header head{};
  char name[] = "accz-name";
  head.name = reinterpret_cast<Bytef*>(name);
  head.time = 1234567;
  ASSERT_EQ(deflateSetHeader(&d, &head), Z_OK);
  ASSERT_EQ(deflateTune(&d, 8, 16, 128, 256), Z_OK);
  const uLong bound = deflateBound(&d, in.size());
  EXPECT_GE(bound, in.size());

  Bytes out(bound + 64);
  d.next_out = out.data();
  d.avail_out = static_cast<uInt>(out.size());
  d.next_in = const_cast<Bytef*>(in.data());
  d.avail_in = 100000;
  ASSERT_EQ(deflate(&d, Z_NO_FLUSH), Z_OK);
  ASSERT_EQ(deflateParams(&d, 1, Z_FILTERED), Z_OK);  // mid-stream change
  unsigned pending = 0;
  int bits = 0;
  ASSERT_EQ(deflatePending(&d, &pending, &bits), Z_OK);
  EXPECT_LT(bits, 8);

  z_stream copy{};
  ASSERT_EQ(deflateCopy(&copy, &d), Z_OK);
  const uLong copied_at = d.total_out;
  d.avail_in = static_cast<uInt>(in.size() - 100000);
  ASSERT_EQ(deflate(&d, Z_FINISH), Z_STREAM_END);
  out.resize(d.total_out);
  EXPECT_LE(d.total_out, bound);
  EXPECT_EQ(d.adler, crc32(0, in.data(), in.size()));

  z_stream i{};
  ASSERT_EQ(inflateInit2(&i, 31), Z_OK);
  gz_header got{};
  Bytef got_name[32] = {};
  got.name = got_name;
  got.name_max = sizeof(got_name);
  ASSERT_EQ(inflateGetHeader(&i, &got), Z_OK);
  Bytes back(in.size() + 10);
  i.next_in = out.data();
  i.avail_in = static_cast<uInt>(out.size());
  i.next_out = back.data();
  i.avail_out = static_cast<uInt>(back.size());
  ASSERT_EQ(inflate(&i, Z_FINISH), Z_STREAM_END);
  back.resize(i.total_out);
  EXPECT_EQ(back, in);
  EXPECT_EQ(got.done, 1);
  EXPECT_STREQ(reinterpret_cast<char*>(got_name), name);
  EXPECT_EQ(got.time, 1234567u);
  EXPECT_GT(inflateCodesUsed(&i), 0u);
  EXPECT_EQ(inflateEnd(&i), Z_OK);

  // The copy finishes the same input on its own, after the output made before the copy.
  Bytes out2(out.begin(), out.begin() + copied_at);
  out2.resize(bound + 64);
  copy.next_out = out2.data() + copied_at;
  copy.avail_out = static_cast<uInt>(out2.size() - copied_at);
  copy.next_in = const_cast<Bytef*>(in.data()) + 100000;
  copy.avail_in = static_cast<uInt>(in.size() - 100000);
  ASSERT_EQ(deflate(&copy, Z_FINISH), Z_STREAM_END);
  out2.resize(copy.total_out);
  EXPECT_EQ(inflate_all(out2, 31), in);
  EXPECT_EQ(deflateEnd(&copy), Z_OK);

  // Reset and ResetKeep restart the stream (a new gzip member).
  ASSERT_EQ(deflateReset(&d), Z_OK);
  EXPECT_EQ(d.total_in, 0u);
  ASSERT_EQ(deflateResetKeep(&d), Z_OK);
  EXPECT_EQ(deflateEnd(&d), Z_OK);
}

TEST(DropinApi, Dictionaries) {
  const Bytes dict = sample(4000, 5), in = sample(30000, 5);
  z_stream d{};
  ASSERT_EQ(deflateInit(&d, 6), Z_OK);
  ASSERT_EQ(deflateSetDictionary(&d, dict.data(), static_cast<uInt>(dict.size())), Z_OK);
  const uLong dict_id = d.adler;
  EXPECT_EQ(dict_id, adler32(1, dict.data(), dict.size()));
  Bytes got_dict(32768);
  uInt got_len = 0;
  ASSERT_EQ(deflateGetDictionary(&d, got_dict.data(), &got_len), Z_OK);
  EXPECT_EQ(got_len, dict.size());
  Bytes out(deflateBound(&d, in.size()));
  d.next_in = const_cast<Bytef*>(in.data());
  d.avail_in = static_cast<uInt>(in.size());
  d.next_out = out.data();
  d.avail_out = static_cast<uInt>(out.size());
  ASSERT_EQ(deflate(&d, Z_FINISH), Z_STREAM_END);
  out.resize(d.total_out);
  deflateEnd(&d);

  z_stream i{};
  ASSERT_EQ(inflateInit(&i), Z_OK);
  Bytes back(in.size());
  i.next_in = out.data();
  i.avail_in = static_cast<uInt>(out.size());
  i.next_out = back.data();
  i.avail_out = static_cast<uInt>(back.size());
  ASSERT_EQ(inflate(&i, Z_NO_FLUSH), Z_NEED_DICT);
  EXPECT_EQ(i.adler, dict_id);
  ASSERT_EQ(inflateSetDictionary(&i, dict.data(), static_cast<uInt>(dict.size())), Z_OK);
  ASSERT_EQ(inflate(&i, Z_FINISH), Z_STREAM_END);
  EXPECT_EQ(back, in);
  got_len = 0;
  ASSERT_EQ(inflateGetDictionary(&i, got_dict.data(), &got_len), Z_OK);
  // One Z_FINISH call that completes the stream leaves the window as the dictionary made it.
  ASSERT_EQ(got_len, dict.size());
  EXPECT_EQ(0, std::memcmp(got_dict.data(), dict.data(), dict.size()));
  inflateEnd(&i);
}

TEST(DropinApi, InflateSyncResetsCopiesAndPrime) {
  const Bytes in = sample(60000, 6);
  // Raw stream with full-flush points every 20000 bytes.
  z_stream d{};
  ASSERT_EQ(deflateInit2(&d, 6, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&d, in.size()) + 100);
  d.next_out = out.data();
  d.avail_out = static_cast<uInt>(out.size());
  size_t first_flush_end = 0;
  for (int part = 0; part < 3; ++part) {
    d.next_in = const_cast<Bytef*>(in.data()) + part * 20000;
    d.avail_in = 20000;
    ASSERT_EQ(deflate(&d, part < 2 ? Z_FULL_FLUSH : Z_FINISH), part < 2 ? Z_OK : Z_STREAM_END);
    if (part == 0) first_flush_end = d.total_out;
  }
  out.resize(d.total_out);
  deflateEnd(&d);

  // Garbage in front of the second part: inflateSync finds the flush point.
  z_stream i{};
  ASSERT_EQ(inflateInit2(&i, -15), Z_OK);
  Bytes back(in.size());
  i.next_in = out.data() + 7;                               // mid-block: garbage to inflate
  i.avail_in = static_cast<uInt>(first_flush_end - 7 - 4);  // stop before the 00 00 ff ff
  i.next_out = back.data();
  i.avail_out = static_cast<uInt>(back.size());
  inflate(&i, Z_NO_FLUSH);  // may or may not fail: it is not a block boundary
  i.avail_in = static_cast<uInt>(out.size() - (i.next_in - out.data()));
  ASSERT_EQ(inflateSync(&i), Z_OK);
  EXPECT_EQ(static_cast<size_t>(i.next_in - out.data()), first_flush_end);
  EXPECT_EQ(inflateReset(&i), Z_OK);  // sync leaves inflate expecting a block: start clean
  ASSERT_EQ(inflateReset2(&i, -15), Z_OK);
  EXPECT_EQ(inflateSyncPoint(&i), 0);
  i.next_out = back.data();
  i.avail_out = static_cast<uInt>(back.size());

  z_stream copy{};
  ASSERT_EQ(inflateCopy(&copy, &i), Z_OK);
  ASSERT_EQ(inflate(&i, Z_FINISH), Z_STREAM_END);
  EXPECT_EQ(i.total_out, 40000u);
  EXPECT_EQ(0, std::memcmp(back.data(), in.data() + 20000, 40000));
  EXPECT_EQ(inflateValidate(&i, 0), Z_OK);
  EXPECT_EQ(inflateUndermine(&i, 1), Z_DATA_ERROR);  // stock 1.2.13 is built without it
  EXPECT_EQ(inflateResetKeep(&i), Z_OK);
  inflateEnd(&i);

  // The copy, advanced with Z_BLOCK, reports block boundaries through inflateMark.
  Bytes back2(in.size());
  copy.next_out = back2.data();
  copy.avail_out = static_cast<uInt>(back2.size());
  int rc = Z_OK;
  bool saw_boundary = false;
  while (rc == Z_OK) {
    rc = inflate(&copy, Z_BLOCK);
    if ((copy.data_type & 128) != 0) {
      saw_boundary = true;
      EXPECT_EQ(inflateMark(&copy), -65536L);  // outside any block
    }
  }
  EXPECT_EQ(rc, Z_STREAM_END);
  EXPECT_TRUE(saw_boundary);
  EXPECT_EQ(0, std::memcmp(back2.data(), in.data() + 20000, 40000));
  inflateEnd(&copy);

  // inflatePrime: the first byte of a raw stream fed as bits, then the rest as input.
  z_stream p{};
  ASSERT_EQ(inflateInit2(&p, -15), Z_OK);
  ASSERT_EQ(inflatePrime(&p, 8, out[0]), Z_OK);
  Bytes back3(in.size());
  p.next_in = out.data() + 1;
  p.avail_in = static_cast<uInt>(out.size() - 1);
  p.next_out = back3.data();
  p.avail_out = static_cast<uInt>(back3.size());
  p.avail_out = 1;  // stop inside the first block
  ASSERT_EQ(inflate(&p, Z_NO_FLUSH), Z_OK);
  EXPECT_NE(inflateMark(&p), -65536L);
  p.avail_out = static_cast<uInt>(back3.size() - 1);
  ASSERT_EQ(inflate(&p, Z_FINISH), Z_STREAM_END);
  EXPECT_EQ(back3, in);
  inflateEnd(&p);
  EXPECT_EQ(inflateMark(nullptr), -65536L);

  // deflatePrime: bits put in front of the raw data come out first.
  z_stream dp{};
  ASSERT_EQ(deflateInit2(&dp, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  ASSERT_EQ(deflatePrime(&dp, 8, 0xA5), Z_OK);
  Bytef small[64];
  dp.next_in = const_cast<Bytef*>(in.data());
  dp.avail_in = 10;
  dp.next_out = small;
  dp.avail_out = sizeof(small);
  ASSERT_EQ(deflate(&dp, Z_FINISH), Z_STREAM_END);
  EXPECT_EQ(small[0], 0xA5);
  deflateEnd(&dp);
}

struct BackIo {
  const Bytes* in;
  Bytes out;
};

unsigned back_in(void* desc, z_const unsigned char** buf) {
  auto* io = static_cast<BackIo*>(desc);
  *buf = const_cast<unsigned char*>(io->in->data());
  return static_cast<unsigned>(io->in->size());
}

int back_out(void* desc, unsigned char* buf, unsigned len) {
  auto* io = static_cast<BackIo*>(desc);
  io->out.insert(io->out.end(), buf, buf + len);
  return 0;
}

TEST(DropinApi, InflateBack) {
  const Bytes in = sample(90000, 7);
  z_stream d{};
  ASSERT_EQ(deflateInit2(&d, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes raw(deflateBound(&d, in.size()));
  d.next_in = const_cast<Bytef*>(in.data());
  d.avail_in = static_cast<uInt>(in.size());
  d.next_out = raw.data();
  d.avail_out = static_cast<uInt>(raw.size());
  ASSERT_EQ(deflate(&d, Z_FINISH), Z_STREAM_END);
  raw.resize(d.total_out);
  deflateEnd(&d);

  std::vector<unsigned char> window(1u << 15);
  z_stream b{};
  ASSERT_EQ(inflateBackInit(&b, 15, window.data()), Z_OK);
  BackIo io{&raw, {}};
  EXPECT_EQ(inflateBack(&b, back_in, &io, back_out, &io), Z_STREAM_END);
  EXPECT_EQ(io.out, in);
  EXPECT_EQ(inflateBackEnd(&b), Z_OK);
}

int call_gzvprintf(gzFile f, const char* format, ...) {
  va_list args;
  va_start(args, format);
  const int n = gzvprintf(f, format, args);
  va_end(args);
  return n;
}

TEST(DropinApi, GzFiles) {
  char path[] = "/tmp/accz_dropin_gz_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  const Bytes block = sample(50000, 8);

  gzFile w = gzopen(path, "wb9");
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(gzbuffer(w, 64 * 1024), 0);
  ASSERT_EQ(gzwrite(w, block.data(), static_cast<unsigned>(block.size())),
            static_cast<int>(block.size()));
  ASSERT_EQ(gzsetparams(w, 1, Z_RLE), Z_OK);
  ASSERT_EQ(gzfwrite(block.data(), 1000, 10, w), 10u);
  ASSERT_EQ(gzprintf(w, "line %d %s\n", 42, "printf"), 15);
  ASSERT_EQ(call_gzvprintf(w, "%05d\n", 7), 6);
  ASSERT_EQ(gzputs(w, "puts\n"), 5);
  ASSERT_EQ(gzputc(w, 'Z'), 'Z');
  ASSERT_EQ(gzflush(w, Z_SYNC_FLUSH), Z_OK);
  EXPECT_EQ(gztell(w), static_cast<z_off_t>(block.size() + 10000 + 15 + 6 + 5 + 1));
  EXPECT_EQ(gztell64(w), gztell(w));
  EXPECT_GT(gzoffset(w), 0);
  EXPECT_EQ(gzoffset64(w), gzoffset(w));
  ASSERT_EQ(gzclose_w(w), Z_OK);

  gzFile r = gzopen64(path, "rb");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(gzdirect(r), 0);
  Bytes got(block.size());
  ASSERT_EQ(gzread(r, got.data(), static_cast<unsigned>(got.size())), static_cast<int>(got.size()));
  EXPECT_EQ(got, block);
  Bytes got2(10000);
  ASSERT_EQ(gzfread(got2.data(), 1000, 10, r), 10u);
  EXPECT_EQ(0, std::memcmp(got2.data(), block.data(), 10000));
  char line[64];
  ASSERT_NE(gzgets(r, line, sizeof(line)), nullptr);
  EXPECT_STREQ(line, "line 42 printf\n");
  ASSERT_NE(gzgets(r, line, sizeof(line)), nullptr);
  EXPECT_STREQ(line, "00007\n");
  EXPECT_EQ((gzgetc)(r), 'p');  // the function itself, not the macro
  EXPECT_EQ(gzgetc_(r), 'u');
  EXPECT_EQ(gzungetc('U', r), 'U');
  EXPECT_EQ(gzgetc(r), 'U');  // the macro, served from the gzFile's head
  EXPECT_EQ(gzgetc(r), 't');
  ASSERT_NE(gzgets(r, line, sizeof(line)), nullptr);
  EXPECT_STREQ(line, "s\n");
  EXPECT_EQ(gzgetc(r), 'Z');
  EXPECT_EQ(gzgetc(r), -1);
  EXPECT_EQ(gzeof(r), 1);
  int errnum = -99;
  EXPECT_STREQ(gzerror(r, &errnum), "");
  EXPECT_EQ(errnum, Z_OK);
  gzclearerr(r);
  EXPECT_EQ(gzeof(r), 0);
  ASSERT_EQ(gzrewind(r), 0);
  EXPECT_EQ(gzseek(r, 1000, SEEK_SET), 1000);
  EXPECT_EQ(gzseek64(r, 10, SEEK_CUR), 1010);
  unsigned char c = 0;
  ASSERT_EQ(gzread(r, &c, 1), 1);
  EXPECT_EQ(c, block[1010]);
  ASSERT_EQ(gzclose_r(r), Z_OK);

  // gzdopen on a descriptor, gzclose on both directions.
  const int rfd = open(path, O_RDONLY);
  ASSERT_GE(rfd, 0);
  gzFile dr = gzdopen(rfd, "rb");
  ASSERT_NE(dr, nullptr);
  ASSERT_EQ(gzread(dr, got.data(), 100), 100);
  EXPECT_EQ(0, std::memcmp(got.data(), block.data(), 100));
  EXPECT_EQ(gzclose(dr), Z_OK);
  unlink(path);
}

}  // namespace
