#!/usr/bin/env python3
"""The drop-in exports exactly what the system's zlib exports: every (function, version node)
pair the system libz.so.1 defines is defined by ours, with the same version nodes and node
inheritance, and ours exports nothing else that a program could bind to by accident.

usage: check_symbols.py SYSTEM_LIBZ DROPIN_LIBZ
"""
import re
import subprocess
import sys


def exported(library):
    out = subprocess.run(["objdump", "-T", library], capture_output=True, text=True,
                         check=True).stdout
    functions, others = set(), set()
    for line in out.splitlines():
        fields = line.split()
        # address flags... section size version name; defined globals only
        if len(fields) < 6 or "*UND*" in fields or fields[1] not in ("g", "w"):
            continue
        version, name = fields[-2], fields[-1]
        kind = fields[2] if fields[1] == "g" else fields[3]
        if kind == "DF":
            functions.add((name, version))
        elif "*ABS*" not in fields:  # *ABS* entries are the version nodes themselves
            others.add((name, version))
    return functions, others


def version_nodes(library):
    out = subprocess.run(["objdump", "-p", library], capture_output=True, text=True,
                         check=True).stdout
    if "Version definitions:" not in out:
        return []
    section = out.split("Version definitions:")[1].split("Version References:")[0]
    nodes, current = [], None
    for line in section.splitlines():
        m = re.match(r"\d+ 0x\S+ 0x\S+ (\S+)", line)
        if m:
            current = [m.group(1), []]
            nodes.append(current)
        elif line.strip() and current:
            current[1].append(line.strip())
    return [(name, tuple(parents)) for name, parents in nodes[1:]]  # [0] is the soname


def main():
    system, ours = sys.argv[1], sys.argv[2]
    sys_functions, _ = exported(system)
    our_functions, our_others = exported(ours)
    failures = []
    missing = sorted(sys_functions - our_functions)
    extra = sorted(our_functions - sys_functions)
    if missing:
        failures.append("missing (name, version): " + ", ".join(f"{n}@{v}" for n, v in missing))
    if extra:
        failures.append("exported but not zlib's: " + ", ".join(f"{n}@{v}" for n, v in extra))
    if our_others:
        failures.append("non-function exports: " + ", ".join(n for n, _ in sorted(our_others)))
    if version_nodes(system) != version_nodes(ours):
        failures.append(f"version nodes differ:\n  system {version_nodes(system)}\n"
                        f"  ours   {version_nodes(ours)}")
    if failures:
        print("\n".join(failures))
        return 1
    print(f"{len(our_functions)} functions, {len(version_nodes(ours))} version nodes: "
          "same as the system zlib")
    return 0


if __name__ == "__main__":
    sys.exit(main())
