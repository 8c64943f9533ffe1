#include "vol_serve.h"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "accz/accel.h"
#include "nbd/server.h"
#include "nbd/volume_export.h"
#include "report.h"
#include "store/engine/volume.h"
#include "vol_control.h"
#include "vol_image.h"
#include "vol_report.h"
#include "vol_size.h"

namespace accz::cli {
namespace {

using nlohmann::json;

// SIGINT/SIGTERM before the server's own handlers are in place (opening a large or dirty
// volume takes seconds): remembered, and honoured as a clean stop once serving starts. A
// second one ends the process at once, which is as safe as a crash (the volume replays).
volatile std::sig_atomic_t early_stop = 0;
void remember_stop(int sig) {
  if (early_stop) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
  early_stop = 1;
}

int fail(const std::string& what) {
  std::cerr << "accz vol serve: " << what << '\n';
  return kExitError;
}

json server_stats_json(const nbd::ServerStats& s) {
  return json{{"connections_accepted", s.connections_accepted},
              {"connections_refused", s.connections_refused},
              {"connections_active", s.connections_active},
              {"hard_disconnects", s.hard_disconnects},
              {"reads", s.reads},
              {"writes", s.writes},
              {"flushes", s.flushes},
              {"trims", s.trims},
              {"write_zeroes", s.write_zeroes},
              {"block_status", s.block_status},
              {"bytes_read", s.bytes_read},
              {"bytes_written", s.bytes_written},
              {"error_replies", s.error_replies},
              {"in_flight", s.in_flight}};
}

store::VolumeOptions volume_options(const VolServeOptions& o, Accel* accel) {
  store::VolumeOptions v;
  // A map page is 4 KiB and maps 507 blocks: N MiB of cache is 256 N pages, the map of about
  // N/2 GiB. The library's 1 MiB default makes a server miss on every read beyond 0.5 GiB;
  // VDO's block-map cache defaults to 128 MiB. 64 MiB is a bound, not an allocation: pages
  // are cached as they are used.
  constexpr uint64_t kDefaultCacheMb = 64;
  const uint64_t cache_mb = o.cache_mb != 0 ? o.cache_mb : kDefaultCacheMb;
  v.map_cache_pages = static_cast<size_t>(cache_mb) * 256;
  if (o.index_mb) v.dedup_index_bytes = static_cast<size_t>(o.index_mb) << 20;
  v.read_only = o.read_only;
  // One 1 MiB NBD write is 256 blocks: the library default (256) would admit one such write
  // at a time and leave the devices idle while it settles. 4096 blocks (16 MiB of data,
  // about 35 MiB with their compression buffers) keeps a queue depth of 16 busy.
  v.max_in_flight = 4096;
  v.accel = accel;
  return v;
}

}  // namespace

int run_vol_serve(const VolServeOptions& o) {
  std::signal(SIGINT, remember_stop);
  std::signal(SIGTERM, remember_stop);
  auto dev = open_image(o.image, o.read_only);
  if (!dev.ok()) return fail(dev.status.message());

  std::unique_ptr<Accel> accel;
  if (o.threads) {
    AccelOptions ao;
    ao.cpu_instances = o.threads;
    std::string error;
    accel = Accel::open(ao, &error);
    if (!accel) return fail("opening the devices: " + error);
  }

  auto opened = store::Volume::open(*dev.value, volume_options(o, accel.get()));
  if (!opened.ok()) {
    std::string hint;
    if (o.read_only && opened.status.code() == store::StoreErrc::kReadOnly)
      hint =
          " (a volume that was not closed cleanly must be replayed first: serve it "
          "read-write once, or run `accz vol check --repair`)";
    return fail(o.image + ": " + opened.status.to_string() + hint);
  }
  std::unique_ptr<store::Volume> volume = std::move(opened.value);

  int result = kExitOk;
  {
    nbd::VolumeExportOptions eo;
    eo.read_only = o.read_only;
    auto exp = std::make_shared<nbd::VolumeExport>(*volume, eo);
    nbd::ServerOptions so;
    so.max_connections = o.connections;
    nbd::Server server(so);
    nbd::NbdStatus s = server.add_export(o.export_name, exp, "accz volume " + o.image);
    std::string uri;
    if (s.ok() && !o.socket.empty()) {
      s = server.listen_unix(o.socket);
      uri = "nbd+unix:///" + o.export_name + "?socket=" + o.socket;
    } else if (s.ok()) {
      s = server.listen_tcp(static_cast<uint16_t>(o.port), o.bind);
      const bool v6 = o.bind.find(':') != std::string::npos;
      uri = "nbd://" + (v6 ? "[" + o.bind + "]" : o.bind) + ":" +
            std::to_string(server.tcp_port()) + "/" + o.export_name;
    }
    if (!s.ok()) {
      result = fail(s.to_string());
    } else {
      std::unique_ptr<ControlServer> control;
      std::string control_path =
          o.control.empty() && !o.socket.empty() ? o.socket + ".ctl" : o.control;
      if (!control_path.empty()) {
        std::string error;
        store::Volume* v = volume.get();
        nbd::Server* srv = &server;
        std::string image = o.image;
        control = ControlServer::listen(
            control_path,
            [v, srv, image] {
              json j = volume_stats_to_json(v->stats());
              j.update(superblock_json(image, v->superblock()));
              j["source"] = "server";
              j["clean"] = false;
              j["nbd"] = server_stats_json(srv->stats());
              return j;
            },
            &error);
        if (!control) result = fail("control socket: " + error);
      }
      if (result == kExitOk) {
        server.stop_on_signals();
        s = server.start();
        if (s.ok() && early_stop) server.request_stop();
        if (!s.ok()) {
          result = fail(s.to_string());
        } else {
          std::printf("accz vol serve: ready %s size=%llu\n", uri.c_str(),
                      static_cast<unsigned long long>(volume->logical_bytes()));
          std::fflush(stdout);
          s = server.wait();
          if (!s.ok()) result = fail("final flush: " + s.to_string());
        }
      }
      control.reset();
    }
  }
  store::StoreStatus closed = volume->close();
  if (!closed.ok()) return fail(o.image + ": closing the volume: " + closed.to_string());
  return result;
}

}  // namespace accz::cli
