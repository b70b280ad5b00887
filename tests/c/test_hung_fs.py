#!/usr/bin/env python3
"""Mounts hung_fs (a FUSE file system whose open() answers after 20 s, as a hung network file
system's does) and runs test_hung_fs against it: pause and abort must answer within the cancel
limit while the library is stuck in that open(). Needs /dev/fuse and fusermount3 (fuse3,
installed by scripts/install_deps.sh); without them the test fails, it is never skipped.

usage (under scripts/with_server.py): test_hung_fs.py PATH/TO/hung_fs PATH/TO/test_hung_fs
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

DELAY_MS = 20000


def mounted(path):
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1] == path for line in mounts)


def main():
    hung_fs, program = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="tos-hung-fs-")
    mount = os.path.join(work, "mnt")
    os.mkdir(mount)
    fs = subprocess.Popen([hung_fs, mount, str(DELAY_MS)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not mounted(mount):
            if fs.poll() is not None or time.monotonic() > deadline:
                print("FAIL hung_fs did not mount %s: %s" % (mount, fs.stderr.read() if fs.poll() is not None else
                                                           "still not mounted after 10 s"))
                return 1
            time.sleep(0.05)
        env = dict(os.environ, HUNG_FS_MOUNT=mount, HUNG_FS_WORK=work)
        return subprocess.run([program], env=env, timeout=300).returncode
    finally:
        # The library's threads may still sit in the hung open(): unmounting lazily lets them
        # fail instead of waiting out the delay, and the file system process then ends.
        subprocess.run(["fusermount3", "-u", "-z", mount], stderr=subprocess.DEVNULL)
        try:
            fs.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fs.kill()
            fs.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
