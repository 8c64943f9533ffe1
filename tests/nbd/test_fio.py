#!/usr/bin/env python3
"""fio's nbd engine against `accz vol serve`, with verify: random 4 KiB writes at iodepth 16
read back and checked; unaligned sizes (the server's read-modify-write); four connections at
once; and the same data verified again after a clean restart (fio --verify_only).

Usage: test_fio.py --accz PATH [randwrite|unaligned|multiconn]
"""
import subprocess

from nbd_harness import Scratch, expect, main, need_tools, run


def fio(uri, name, *args):
    need_fio_nbd()
    cmd = ["fio", f"--name={name}", "--ioengine=nbd", f"--uri={uri}", "--iodepth=16",
           "--randrepeat=1", "--randseed=1234", "--verify_fatal=1", "--output-format=normal",
           *args]
    return run(cmd)


def need_fio_nbd():
    need_tools("fio")
    r = subprocess.run(["fio", "--enghelp"], capture_output=True, text=True)
    if "nbd" not in r.stdout.split():
        from nbd_harness import skip
        skip("this fio has no nbd engine")


def one_job(accz, name, size, job_args, volume_size="128M"):
    need_fio_nbd()
    with Scratch(accz) as s:
        image = s.create(size=volume_size)
        with s.serve(image) as srv:
            fio(srv.uri, name, f"--size={size}", "--do_verify=1", *job_args)
            st = srv.stats()
            expect(st["write_errors"] == 0 and st["read_errors"] == 0, "no I/O errors")
            srv.stop()
        rc, report = s.check(image)
        expect(rc == 0, "accz vol check after a clean stop")
        with s.serve(image) as srv:
            # Same seed and layout, no writing: fio recomputes every block's expected data.
            fio(srv.uri, name, f"--size={size}", "--verify_only", *job_args)
            srv.stop()


def case_randwrite(accz):
    one_job(accz, "randwrite", "64M",
            ["--rw=randwrite", "--bs=4k", "--verify=crc32c", "--buffer_compress_percentage=50",
             "--refill_buffers"])


def case_unaligned(accz):
    one_job(accz, "unaligned", "32M",
            ["--rw=randwrite", "--bsrange=512-64k", "--bs_unaligned=1", "--verify=md5"])


def case_multiconn(accz):
    one_job(accz, "multiconn", "16M",
            ["--rw=randwrite", "--bs=4k", "--numjobs=4", "--offset_increment=16M",
             "--verify=crc32c", "--group_reporting"])


if __name__ == "__main__":
    main({"randwrite": case_randwrite, "unaligned": case_unaligned, "multiconn": case_multiconn})
