// Each subcommand's --help is its manual: what the defaults are and what the exit codes mean.
#include "vol_cmd.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "report.h"
#include "vol_check.h"
#include "vol_create.h"
#include "vol_options.h"
#include "vol_serve.h"
#include "vol_size.h"
#include "vol_stats.h"

namespace accz::cli {
namespace {

// A CLI11 option that takes a size with a binary suffix.
CLI::Option* add_size_option(CLI::App* app, const std::string& name, uint64_t& target,
                             const std::string& help) {
  return app->add_option_function<std::string>(
      name,
      [&target, name](const std::string& text) {
        std::string error;
        auto v = parse_size(text, &error);
        if (!v) throw CLI::ValidationError(name, error);
        target = *v;
      },
      help);
}

constexpr const char* kCreateFooter =
    R"(SIZE takes the binary suffixes K, M, G, T (64G = 64 GiB) and must be a multiple of 4K.
The image is a sparse file: a thin volume takes space only as data is written.
Default --physical-size: the logical size plus the metadata describing it (so even data
that neither compresses nor deduplicates fits), capped at what the file system has free.
The journal gets 1/16 of the physical blocks (64 blocks to 8 MiB); the saved dedup index
region holds the default index (16 MiB), at most 1/64 of the physical blocks.
Exit status: 0 created, 1 error (exists, bad size, too small).
Example: accz vol create /var/tmp/vol.img --size 64G --compression lz4 --dedupe on
)";

constexpr const char* kServeFooter =
    R"(Prints one line on stdout when serving: "accz vol serve: ready URI size=BYTES".
Clients: nbdinfo URI; nbdcopy; qemu-img ... nbd+unix:///?socket=PATH; fio --ioengine=nbd.
Serves the default export (name ""); block sizes: minimum 1, preferred 4096, maximum 32 MiB;
advertises flush, FUA, trim, write-zeroes, block status and multi-conn.
SIGINT/SIGTERM: finish the requests in flight, flush, close the volume cleanly, exit 0.
Control socket (default PATH.ctl with --socket; --control PATH to name it): one JSON line
{"command":"stats"} in, one JSON line out (VolumeStats, settings, NBD counters under "nbd");
`accz vol stats --socket PATH` asks it.
Exit status: 0 after a clean stop, 1 error.
)";

constexpr const char* kStatsFooter =
    R"(From IMAGE: what is on disk (superblock and the offline checker's counts; the session
counters are zero). From a server (--socket PATH: its NBD socket, whose control socket is
PATH.ctl; or --control PATH): the live counters.
Columns as vdostats: Size (data + metadata), Used, Available, Use%, and Space saving%
= 100 x (1 - data blocks used / logical blocks used).
Exit status: 0, 1 error.
)";

constexpr const char* kCheckFooter =
    R"(Verifies the block map against the reference counts and compressed blocks
(docs/format.md section 10), reading only. A volume that was not closed cleanly needs its
journal replayed: reported as a problem, or replayed with --repair (opens read-write,
replays, checks, closes cleanly).
Exit status: 0 consistent, 1 problems (listed), 2 error (no volume, unreadable).
)";

}  // namespace

int run_vol(int argc, char** argv) {
  VolCreateOptions create;
  VolCheckOptions check;
  VolStatsOptions stats;
  VolServeOptions serve;

  CLI::App app{"accz vol - deduplicating, compressing volumes served over NBD", "accz vol"};
  app.require_subcommand(1, 1);
  app.footer("Run `accz vol COMMAND --help` for a command's options.");

  auto* c = app.add_subcommand("create", "Create a volume in a sparse image file");
  c->add_option("IMAGE", create.image, "The image file (or block device with --force)")->required();
  add_size_option(c, "--size", create.logical_bytes, "Logical size (e.g. 64G)")->required();
  add_size_option(c, "--physical-size", create.physical_bytes,
                  "Size of the image file (default: see below)");
  c->add_option("--compression", create.compression, "lz4 (default), deflate, zstd or none")
      ->check(CLI::IsMember({"lz4", "deflate", "zstd", "none"}));
  c->add_option_function<std::string>(
       "--dedupe", [&create](const std::string& v) { create.dedupe = v == "on"; },
       "on (default) or off")
      ->check(CLI::IsMember({"on", "off"}));
  c->add_flag("-f,--force", create.force, "Overwrite an existing file or device");
  c->footer(kCreateFooter);

  auto* s = app.add_subcommand("serve", "Serve a volume over NBD until SIGINT/SIGTERM");
  s->add_option("IMAGE", serve.image, "The volume's image")->required();
  auto* sock = s->add_option("--socket", serve.socket, "Listen on this Unix socket");
  auto* port = s->add_option("--port", serve.port, "Listen on this TCP port (0: any free one)")
                   ->check(CLI::Range(0, 65535));
  sock->excludes(port);
  s->add_option("--bind", serve.bind, "TCP address to bind (default 127.0.0.1)");
  s->add_option("--control", serve.control, "Control socket path (default: SOCKET.ctl)");
  s->add_option("--name", serve.export_name, "Export name (default: \"\", the default export)");
  s->add_flag("--read-only", serve.read_only, "Serve reads only");
  s->add_option("--cache-mb", serve.cache_mb,
                "Block-map cache in MiB (default 64: the map of 32 GiB)")
      ->check(CLI::Range(1, 1 << 20));
  s->add_option("--index-mb", serve.index_mb, "Dedup index memory in MiB (default 64)")
      ->check(CLI::Range(1, 1 << 20));
  s->add_option("-T,--threads", serve.threads, "Compression worker threads (default: one per core)")
      ->check(CLI::Range(1u, 1024u));
  s->add_option("--connections", serve.connections, "Clients served at once (default 16)")
      ->check(CLI::Range(1u, 4096u));
  s->footer(kServeFooter);

  auto* st = app.add_subcommand("stats", "Show a volume's space savings and counters");
  st->add_option("IMAGE", stats.image, "Read the counts from this image");
  auto* st_sock = st->add_option("--socket", stats.socket, "Ask the server on this NBD socket");
  auto* st_ctl = st->add_option("--control", stats.control, "Ask this control socket");
  st_sock->excludes(st_ctl);
  st->add_flag("--json", stats.json, "Print JSON (every field)");
  st->footer(kStatsFooter);

  auto* ck = app.add_subcommand("check", "Check a volume's metadata for consistency");
  ck->add_option("IMAGE", check.image, "The volume's image")->required();
  ck->add_flag("--json", check.json, "Print JSON");
  ck->add_flag("--repair", check.repair, "Replay the journal of a dirty volume first");
  ck->footer(kCheckFooter);

  std::vector<std::string> args(argv, argv + argc);
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector reversed
  try {
    app.parse(args);
    if (s->parsed() && serve.socket.empty() && serve.port < 0)
      throw CLI::RequiredError("--socket or --port");
    if (st->parsed() &&
        static_cast<int>(!stats.image.empty()) + !stats.socket.empty() + !stats.control.empty() !=
            1)
      throw CLI::ValidationError("IMAGE, --socket or --control", "give exactly one");
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitError;
  }
  try {
    if (c->parsed()) return run_vol_create(create);
    if (s->parsed()) return run_vol_serve(serve);
    if (st->parsed()) return run_vol_stats(stats);
    return run_vol_check(check);
  } catch (const std::exception& e) {
    std::cerr << "accz vol: " << e.what() << '\n';
    return c->parsed() || s->parsed() || st->parsed() ? kExitError : kCheckError;
  }
}

}  // namespace accz::cli
