#!/usr/bin/env python3
"""The ABI of libtosupload, checked against what each release promised.

usage: check_abi.py LIBRARY [--bless]

LIBRARY is the built shared library. Checks, each a failure with a reason:
  1. It exports exactly the functions include/tosupload.h declares, nothing else.
  2. Its SONAME is libtosupload.so.<MAJOR> for the header's TOS_VERSION_MAJOR.
  3. tos_version_num() of the loaded library equals the header's TOS_VERSION_NUM.
  4. The rule for versions (README, "API conventions"): tests/abi/abi-MAJOR.MINOR.json records
     the ABI of each release (functions, every struct's size, every constant). The current
     header must equal the record of its own MAJOR.MINOR exactly (a patch release changes no
     ABI), and contain every earlier record of the same major unchanged but for structs that
     grew (fields are only appended). An ABI that differs from its version's record means the
     version must move: a new minor for additions, a new major for anything else. --bless
     writes the record of a version that has none yet (never rewrites an existing one).
"""
import ctypes
import json
import os
import re
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = os.path.join(TOP, "include", "tosupload.h")
RECORDS = os.path.join(TOP, "tests", "abi")


def header_abi(header_path, cc="cc"):
    text = open(header_path).read()
    functions = sorted(set(re.findall(r"TOS_API\s[^;]*?\b(tos_\w+)\s*\(", text, re.S)))
    constants = {name: int(value) for name, value in re.findall(r"^\s+(TOS_\w+) = (\d+),?$", text, re.M)}
    structs = sorted(set(re.findall(r"^typedef struct (tos_\w+) \{", text, re.M)))
    macros = {name: int(value) for name, value in re.findall(r"^#define (TOS_VERSION_\w+) (\d+)$", text, re.M)}
    sizes = struct_sizes(header_path, structs, cc)
    return {"functions": functions, "constants": constants, "structs": sizes}, macros


def struct_sizes(header_path, structs, cc):
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "sizes.c")
        with open(source, "w") as f:
            f.write('#include "tosupload.h"\n#include <stdio.h>\nint main(void) {\n')
            for name in structs:
                f.write(f'    printf("{name} %zu\\n", sizeof({name}));\n')
            f.write("    return 0;\n}\n")
        program = os.path.join(tmp, "sizes")
        subprocess.run([cc, "-I", os.path.dirname(header_path), source, "-o", program], check=True)
        out = subprocess.run([program], check=True, capture_output=True, text=True).stdout
    return {name: int(size) for name, size in (line.split() for line in out.splitlines())}


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True, capture_output=True,
                         text=True).stdout
    return sorted(line.split()[-1] for line in out.splitlines() if line.strip())


def soname(library):
    out = subprocess.run(["readelf", "-d", library], check=True, capture_output=True, text=True).stdout
    match = re.search(r"Library soname: \[([^]]*)\]", out)
    return match.group(1) if match else None


def compare_with_record(current, record, exact):
    problems = []
    for name in record["functions"]:
        if name not in current["functions"]:
            problems.append(f"function {name} was removed")
    for name, value in record["constants"].items():
        if current["constants"].get(name) != value:
            problems.append(f"constant {name} was {value}, now {current['constants'].get(name)}")
    for name, size in record["structs"].items():
        now = current["structs"].get(name)
        if now is None:
            problems.append(f"struct {name} was removed")
        elif now < size or (exact and now != size):
            problems.append(f"struct {name} was {size} bytes, now {now}")
    if exact:
        for name in current["functions"]:
            if name not in record["functions"]:
                problems.append(f"function {name} was added")
        for name in current["constants"]:
            if name not in record["constants"]:
                problems.append(f"constant {name} was added")
        for name in current["structs"]:
            if name not in record["structs"]:
                problems.append(f"struct {name} was added")
    return problems


def main():
    args = [a for a in sys.argv[1:] if a != "--bless"]
    bless = "--bless" in sys.argv[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    library = args[0]
    current, macros = header_abi(HEADER)
    failures = []

    symbols = exported(library)
    extra = sorted(set(symbols) - set(current["functions"]))
    missing = sorted(set(current["functions"]) - set(symbols))
    if extra:
        failures.append(f"exported but not in the header: {extra}")
    if missing:
        failures.append(f"declared in the header but not exported: {missing}")

    major, minor, patch = (macros[f"TOS_VERSION_{p}"] for p in ("MAJOR", "MINOR", "PATCH"))
    if soname(library) != f"libtosupload.so.{major}":
        failures.append(f"SONAME is {soname(library)}, not libtosupload.so.{major}")
    loaded = ctypes.CDLL(os.path.abspath(library))
    loaded.tos_version_num.restype = ctypes.c_uint32
    if loaded.tos_version_num() != macros["TOS_VERSION_NUM"]:
        failures.append(f"tos_version_num() is {loaded.tos_version_num()}, the header says {macros['TOS_VERSION_NUM']}")
    if macros["TOS_VERSION_NUM"] != major * 10000 + minor * 100 + patch:
        failures.append("TOS_VERSION_NUM is not MAJOR*10000 + MINOR*100 + PATCH")

    own = os.path.join(RECORDS, f"abi-{major}.{minor}.json")
    if not os.path.exists(own):
        if bless:
            with open(own, "w") as f:
                json.dump(current, f, indent=1, sort_keys=True)
                f.write("\n")
            print(f"wrote {own}")
        else:
            failures.append(f"no ABI record for {major}.{minor}: a new minor or major version needs one "
                            f"(run with --bless once the version in Cargo.toml is right)")
    else:
        for problem in compare_with_record(current, json.load(open(own)), exact=True):
            failures.append(f"the ABI differs from the record of {major}.{minor} ({problem}): "
                            f"move the version (minor for additions, major otherwise)")
    for name in sorted(os.listdir(RECORDS)):
        match = re.fullmatch(r"abi-(\d+)\.(\d+)\.json", name)
        if not match or int(match.group(1)) != major or int(match.group(2)) >= minor:
            continue
        for problem in compare_with_record(current, json.load(open(os.path.join(RECORDS, name))), exact=False):
            failures.append(f"breaks the ABI of {match.group(1)}.{match.group(2)}: {problem}")

    frozen = os.path.join(RECORDS, f"v{major}.{minor}.{patch}", "tosupload.h")
    if os.path.exists(frozen) and open(frozen).read() != open(HEADER).read():
        failures.append(f"{frozen} is the header of {major}.{minor}.{patch} as released; the header differs "
                        f"from it, so the version must move")

    for failure in failures:
        print("FAIL:", failure)
    print(f"{len(current['functions'])} functions, {len(current['structs'])} structs, "
          f"{len(current['constants'])} constants; version {major}.{minor}.{patch}")
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
