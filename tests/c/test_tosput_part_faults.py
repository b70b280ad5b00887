#!/usr/bin/env python3
"""A part lost or damaged on the way, through tosput (the C API and the engine have their own
tests: test_outputs_and_faults.c, engine/tests): a 12 MiB file in three 5 MiB parts, and
 - part 2 stored but its reply dropped (fault drop_reply, once): exit 0, the object
   byte-exact, part 2 sent twice;
 - part 2 answered with a wrong CRC-64 (fault bad_crc, once): the same, the CRC mismatch
   retried as the README's retry policy says;
 - part 2 answered with a wrong CRC-64 every time: exit 1 naming TOS_ERR_CRC_MISMATCH after
   the default 3 retries, no object at the key (no Complete sent); the same command run again
   with the fault gone finishes byte-exact.
Each outcome is checked on the server: its request log (the fault fired, the parts sent) and
the bytes stored (read back through the admin API).

usage (under scripts/with_server.py): test_tosput_part_faults.py PATH/TO/tosput
"""
import os
import sys
import tempfile

import tostest

tosput = sys.argv[1]
bucket = tostest.env("TOS_TEST_BUCKET")
checks = tostest.Checks("test_tosput_part_faults")
SIZE = 12 * tostest.MIB
PUT = ["put", "-q", "--part-size", "5M"]


def log_for(key):
    return [e for e in tostest.server_log() if e.get("key") == key]


def part_sends(log, part):
    return sum(1 for e in log if e.get("op") == "UploadPart" and e.get("part_number") == part)


def fault_rule(kind, times):
    rule = {"op": "UploadPart", "part_number": 2, "action": {"kind": kind}}
    if times is not None:
        rule["times"] = times
    return rule


def once(work, data, kind):
    key = "part-faults/%s-once.bin" % kind
    tostest.clear_log()
    tostest.add_fault(fault_rule(kind, 1))
    result = tostest.run([tosput] + PUT + [os.path.join(work, "data.bin"), "tos://%s/%s" % (bucket, key)])
    tostest.clear_faults()
    log = log_for(key)
    fired = sum(1 for e in log if e.get("fault") == kind)
    checks.check(result.returncode == 0, "%s once on part 2: tosput exits 0" % kind,
                 "exit %d: %s" % (result.returncode, result.stderr))
    checks.check(tostest.stored_object(bucket, key) == data, "%s once on part 2: the object is byte-exact" % kind)
    checks.check(fired == 1, "%s once on part 2: the fault fired once" % kind, "fired %d times" % fired)
    checks.check([part_sends(log, p) for p in (1, 2, 3)] == [1, 2, 1],
                 "%s once on part 2: part 2 sent twice, parts 1 and 3 once" % kind,
                 "sends per part %s" % [part_sends(log, p) for p in (1, 2, 3)])


def always_bad_crc(work, data):
    key = "part-faults/bad_crc-always.bin"
    command = [tosput] + PUT + [os.path.join(work, "data.bin"), "tos://%s/%s" % (bucket, key)]
    tostest.clear_log()
    tostest.add_fault(fault_rule("bad_crc", None))
    result = tostest.run(command)
    tostest.clear_faults()
    log = log_for(key)
    checks.check(result.returncode == 1 and "TOS_ERR_CRC_MISMATCH" in result.stderr,
                 "bad_crc on every send of part 2: exit 1 naming TOS_ERR_CRC_MISMATCH",
                 "exit %d: %s" % (result.returncode, result.stderr))
    checks.check(part_sends(log, 2) == 4, "bad_crc every time: part 2 sent 4 times (3 retries)",
                 "%d sends" % part_sends(log, 2))
    completes = [e for e in log if e.get("op") == "CompleteMultipartUpload"]
    checks.check(not completes and tostest.stored_object(bucket, key) is None,
                 "bad_crc every time: no Complete sent, no object at the key",
                 "%d Completes, object %s" % (len(completes), "present" if tostest.stored_object(bucket, key) is not None else "absent"))
    again = tostest.run(command)
    checks.check(again.returncode == 0 and tostest.stored_object(bucket, key) == data,
                 "the same command without the fault: exit 0, the object byte-exact",
                 "exit %d: %s" % (again.returncode, again.stderr))


def main():
    with tempfile.TemporaryDirectory(prefix="tosput-part-faults-") as work:
        data = tostest.pattern("part-faults", SIZE)
        with open(os.path.join(work, "data.bin"), "wb") as f:
            f.write(data)
        once(work, data, "drop_reply")
        once(work, data, "bad_crc")
        always_bad_crc(work, data)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
