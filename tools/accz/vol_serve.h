// vol_serve.h — `accz vol serve IMAGE (--socket PATH | --port N) [--bind ADDR] [--read-only]
// [--cache-mb N] [--index-mb N] [--threads N] [--control PATH] [--name NAME]`.
//
// Promise: opens the volume in IMAGE (replaying its journal if it was not closed cleanly) and
// serves it over NBD (nbd/server.h) as the default export, on a Unix socket or on a TCP port
// bound to --bind (loopback by default). When it is serving it prints exactly one line on
// stdout, starting "accz vol serve: ready", with the URI clients use, e.g.
//   accz vol serve: ready nbd+unix:///?socket=/tmp/vol.sock size=68719476736
// so scripts can wait for that line (or poll the socket). SIGINT or SIGTERM (also one that
// arrives while the volume is still opening, which for a large or dirty volume takes seconds):
// stop accepting,
// let the requests in flight complete, flush, close the volume cleanly (clean superblock,
// dedup index saved) and exit 0. A kill -9 leaves a dirty volume that the next serve (or
// `accz vol check --repair`) replays; every write acknowledged before a completed flush, and
// every FUA write, survives it.
//
// Control socket: unless disabled, the server also answers statistics requests on a Unix
// socket, by default the NBD socket's path plus ".ctl" (--control PATH names it; with --port
// it exists only when named). Protocol: vol_control.h — one line {"command":"stats"} in, one
// line of JSON out: the VolumeStats fields, the superblock's settings and the NBD server's
// counters under "nbd". `accz vol stats --socket PATH` is its client.
//
// Exit: 0 after a clean stop; 1 when the volume cannot be opened or served, or closing it
// failed.
//
// Thread-safety: single-threaded entry point; the server runs its own threads.
#pragma once

#include "vol_options.h"

namespace accz::cli {

int run_vol_serve(const VolServeOptions& o);

}  // namespace accz::cli
