"""Running a program on the libz.so.1 drop-in, and proving it ran there.

Two ways in, as users will use it: LD_LIBRARY_PATH (the program's DT_NEEDED libz.so.1 is found in
the drop-in's directory) and LD_PRELOAD. Every run records the dynamic linker's symbol bindings
(LD_DEBUG=bindings into files, so the program's own stderr stays clean); check_bindings() then
requires that every zlib function the program's namespace bound went to the drop-in, never to
the system zlib, and that the real zlib was bound inside a namespace of its own (the private
copy the drop-in loads with dlmopen).

If the drop-in was built with a sanitizer, its runtime must be the first object loaded, so it is
put first in LD_PRELOAD.
"""
import glob
import os
import re
import subprocess

MODES = ("ldpath", "preload")

_BINDING = re.compile(
    r"binding file (\S+) \[(\d+)\] to (\S+) \[(\d+)\]: normal symbol `([A-Za-z0-9_]+)'")


def zlib_function_names(abi_def):
    names = set()
    with open(abi_def) as f:
        for line in f:
            m = re.match(r'ACCZ_ZLIB_FN\((\w+), "', line)
            if m:
                names.add(m.group(1))
    if len(names) < 80:
        raise SystemExit(f"{abi_def}: only {len(names)} functions parsed")
    return names


def sanitizer_runtimes(library):
    out = subprocess.run(["ldd", library], capture_output=True, text=True, check=True).stdout
    runtimes = []
    for line in out.splitlines():
        m = re.match(r"\s*(lib(?:asan|tsan|ubsan)\.so\S*) => (\S+)", line)
        if m:
            runtimes.append(m.group(2))
    return runtimes


class Dropin:
    def __init__(self, dropin_dir, abi_def):
        self.dir = os.path.realpath(dropin_dir)
        self.library = os.path.join(self.dir, "libz.so.1")
        if not os.path.exists(self.library):
            raise SystemExit(f"no drop-in at {self.library}")
        self.real_library = os.path.realpath(self.library)
        self.names = zlib_function_names(abi_def)
        self.runtimes = sanitizer_runtimes(self.library)

    def env(self, mode, debug_prefix):
        env = dict(os.environ)
        preload = list(self.runtimes)
        if mode == "ldpath":
            env["LD_LIBRARY_PATH"] = self.dir + (
                ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        elif mode == "preload":
            preload.append(self.library)
        else:
            raise SystemExit(f"unknown mode {mode}")
        if preload:
            env["LD_PRELOAD"] = ":".join(preload)
        else:
            env.pop("LD_PRELOAD", None)
        if self.runtimes:
            # The programs are not ours: their leaks at exit are not the drop-in's findings.
            env["ASAN_OPTIONS"] = "detect_leaks=0:verify_asan_link_order=0"
        env["LD_DEBUG"] = "bindings"
        env["LD_DEBUG_OUTPUT"] = debug_prefix
        return env

    def check_bindings(self, debug_prefix):
        """Every zlib binding in the base namespace went to the drop-in; the real zlib bound
        in another namespace. Returns the number of base-namespace zlib bindings seen."""
        files = glob.glob(debug_prefix + ".*")
        if not files:
            raise AssertionError(f"no LD_DEBUG output at {debug_prefix}.*")
        to_dropin = 0
        private_real = 0
        wrong = []
        for path in files:
            with open(path, errors="replace") as f:
                for line in f:
                    m = _BINDING.search(line)
                    if not m or m.group(5) not in self.names:
                        continue
                    src, src_ns, dst, dst_ns, sym = m.groups()
                    if src_ns == "0" and dst_ns == "0":
                        if os.path.realpath(dst) == self.real_library:
                            to_dropin += 1
                        else:
                            wrong.append(f"{src} -> {dst}: {sym}")
                    elif dst_ns != "0" and os.path.realpath(dst) != self.real_library:
                        private_real += 1
        if wrong:
            raise AssertionError("zlib calls bound outside the drop-in:\n  " +
                                 "\n  ".join(sorted(set(wrong))[:20]))
        if to_dropin == 0:
            raise AssertionError("the program bound no zlib function to the drop-in")
        if private_real == 0:
            raise AssertionError("no binding inside the private real zlib's namespace")
        return to_dropin
