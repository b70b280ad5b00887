/* tosput's --help texts and --version. The options shared by subcommands are one text each
 * (CONNECTION_OPTIONS for all, TRANSFER_OPTIONS for put and put-dir), so a subcommand's help
 * cannot drift from another's. */
#include "tosput.h"

static const char EXIT_CODES[] =
    "exit codes:\n"
    "  0  success\n"
    "  1  the upload or download failed (the error is printed; for get also: the\n"
    "     object changed on the server meanwhile, or FILE could not be written)\n"
    "  2  bad command line (an unknown option, a bad value, a bad destination)\n"
    "  3  configuration: no or incomplete credentials (without --anonymous), a bad\n"
    "     endpoint or region, or the server refused the credentials (HTTP 403)\n"
    "  4  paused by Ctrl-C (SIGINT) or SIGTERM; run the same command again to resume\n"
    "  5  aborted (a second Ctrl-C or SIGTERM while pausing, or --abort-on-interrupt)\n"
    "  6  put-dir, get-dir: some files failed (they are listed; the others were\n"
    "     transferred)\n"
    "  7  another run of the same transfer (same checkpoint or folder journal) is\n"
    "     running; nothing was done\n";

static const char DESTINATIONS[] =
    "destinations (as aws s3 cp and tosutil; s3:// alike):\n"
    "  put FILE tos://b/dir/name     -> object dir/name\n"
    "  put FILE tos://b/dir/         -> object dir/ + FILE's name\n"
    "  put FILE tos://b              -> object FILE's name (tos://b/ too)\n"
    "  put - tos://b/dir/name        -> object dir/name, from standard input\n"
    "  put-dir DIR tos://b/dir       -> dir/ + each path under DIR (dir/ alike)\n"
    "  put-dir DIR tos://b           -> each path under DIR, no prefix\n"
    "  get tos://b/dir/name FILE     -> file FILE (into FILE/name when FILE is a\n"
    "                                   directory or ends in /)\n"
    "  get-dir tos://b/dir DIR       -> DIR/ + each key under dir/, minus dir/\n"
    "                                   (tos://b/dir/ alike; tos://b: every key)\n";

static const char ENVIRONMENT[] =
    "environment:\n"
    "  TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY, TOS_SECRET_KEY, TOS_SECURITY_TOKEN\n"
    "                          endpoint and credentials for tos:// destinations\n"
    "  AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
    "  AWS_SESSION_TOKEN       the same for s3:// destinations (the S3 protocol)\n"
    "  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY (or lower case)\n"
    "                          the proxy, as curl reads them (--proxy, --no-proxy win)\n"
    "  SSL_CERT_FILE, SSL_CERT_DIR\n"
    "                          CA certificates instead of the system's (--ca-file wins)\n"
    "  TOS_LOG=debug           library log lines on stderr (never a secret)\n";

/* Every subcommand's. */
static const char CONNECTION_OPTIONS[] =
    "  --endpoint URL          the server, e.g. https://tos-cn-beijing.volces.com\n"
    "                          (also --endpoint-url; default: TOS_ENDPOINT, else made\n"
    "                          from the region; AWS_ENDPOINT_URL for s3://)\n"
    "  --region REGION         e.g. cn-beijing (default: TOS_REGION, AWS_REGION for s3://)\n"
    "  --anonymous             send unsigned requests; without it, missing credentials\n"
    "                          are an error (exit 3)\n"
    "  --proxy URL             http://[USER:PASSWORD@]HOST:PORT for every request\n"
    "                          (default: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY)\n"
    "  --no-proxy LIST         hosts, IPs or CIDRs that bypass the proxy; '*' = no proxy\n"
    "                          (default: NO_PROXY)\n"
    "  --ca-file FILE          trust the PEM CA certificates in FILE instead of the\n"
    "                          system's (default: SSL_CERT_FILE, else the system's)\n"
    "  --client-cert FILE      PEM client certificate for mutual TLS, with --client-key\n"
    "  --client-key FILE       its PEM private key\n"
    "  --s3-checksum MODE      s3:// only: how bodies prove their bytes to the store:\n"
    "                          auto (default: a streamed trailer, the header when the\n"
    "                          store refuses trailers), trailer, header, md5 or none\n"
    "  --max-requests-per-second N\n"
    "                          send at most N requests a second, all files together\n"
    "                          (bursts of N/10, at least 10; default: no cap)\n";

/* put's and put-dir's (get words its own: ranges, not parts). */
static const char TRANSFER_OPTIONS[] =
    "  --part-size SIZE        bytes per part, 5M..5G (default 20M); K/M/G/T are binary\n"
    "  --tasks N               parts sent at once per file (default: automatic)\n"
    "  --limit-rate RATE       at most RATE bytes per second in total, e.g. 8M\n";

static const char TAIL_OPTIONS[] =
    "  --abort-on-interrupt    Ctrl-C aborts (deletes the upload and the checkpoint)\n"
    "                          instead of pausing\n"
    "  -q, --quiet             no progress display\n"
    "  -h, --help              this text\n"
    "  --version               the versions of tosput and of the library\n";

void tosput_print_version(void) {
    printf("tosput %s (libtosupload %s)\n", TOSPUT_VERSION, tos_version());
}

void tosput_usage_main(FILE *out) {
    fprintf(out,
            "usage: tosput put [options] FILE tos://BUCKET[/KEY or /PREFIX/]\n"
            "       tosput put [options] - tos://BUCKET/KEY      (standard input)\n"
            "       tosput put-dir [options] DIR tos://BUCKET[/PREFIX]\n"
            "       tosput get [options] tos://BUCKET/KEY FILE   (download)\n"
            "       tosput get-dir [options] tos://BUCKET[/PREFIX] DIR\n"
            "       tosput [options] FILE tos://BUCKET/KEY      (same as put)\n"
            "       tosput --version\n"
            "       tosput uploads list|abort ... tos://BUCKET[/PREFIX]\n"
            "                                     (open multipart uploads: `tosput uploads --help`)\n"
            "       (s3://BUCKET/... instead of tos:// speaks the S3 protocol)\n"
            "\n"
            "Resumable, parallel, verified (CRC-64) transfers with Volcengine TOS.\n"
            "`tosput put --help`, `put-dir --help`, `get --help` and `get-dir --help` list\n"
            "the options.\n"
            "\n"
            "Ctrl-C pauses a transfer (run the same command again to resume it);\n"
            "a second Ctrl-C while it pauses aborts it.\n"
            "\n%s\n%s\n%s",
            DESTINATIONS, ENVIRONMENT, EXIT_CODES);
}

void tosput_usage_put(FILE *out) {
    fprintf(out,
            "usage: tosput put [options] FILE tos://BUCKET[/KEY or /PREFIX/]\n"
            "       tosput put [options] - tos://BUCKET/KEY\n"
            "\n"
            "Uploads FILE to TOS as KEY with a resumable, parallel multipart upload.\n"
            "A destination ending in / (or only the bucket) gets FILE's name added.\n"
            "FILE - reads standard input: not resumable (Ctrl-C aborts, no checkpoint\n"
            "options), parts of --part-size held in memory, a full KEY needed.\n"
            "\n"
            "options:\n%s%s"
            "  --checkpoint PATH       checkpoint file, or a directory to put it in\n"
            "                          (default: beside FILE)\n"
            "  --no-checkpoint         record no progress (an interrupted upload restarts)\n"
            "  --force-multipart       multipart even when FILE is smaller than a part\n"
            "                          (default: such a file goes up in one request)\n"
            "%s"
            "\n"
            "Ctrl-C (SIGINT) or SIGTERM pauses: the parts sent and the checkpoint are kept,\n"
            "and the same command resumes. A second Ctrl-C while pausing aborts.\n"
            "A progress bar is drawn on stderr when it is a terminal, else a line every 2 s.\n"
            "The result (etag, crc64, ...) is printed on stdout.\n"
            "\n%s\n%s\n%s",
            CONNECTION_OPTIONS, TRANSFER_OPTIONS, TAIL_OPTIONS, DESTINATIONS, ENVIRONMENT, EXIT_CODES);
}

void tosput_usage_get(FILE *out) {
    fprintf(out,
            "usage: tosput get [options] tos://BUCKET/KEY FILE\n"
            "\n"
            "Downloads the object KEY to FILE in parallel ranged GETs, resumably. FILE may be\n"
            "a directory (one that exists, or a path ending in /): the file is then named\n"
            "after KEY's last segment. The ranges go to a temporary file beside FILE, which\n"
            "replaces FILE only when the whole object is there and its CRC-64 matches the\n"
            "server's: FILE never holds a partial download. Every request is pinned to the\n"
            "object's ETag, so an object replaced meanwhile fails the download (exit 1)\n"
            "rather than mixing two versions.\n"
            "\n"
            "options:\n%s"
            "  --part-size SIZE        bytes per ranged GET, 5M..5G (default 20M)\n"
            "  --tasks N               ranges fetched at once, 1..1000 (default: automatic,\n"
            "                          from 4)\n"
            "  --limit-rate RATE       at most RATE bytes per second, e.g. 8M\n"
            "  --checkpoint PATH       checkpoint file, or a directory to put it in\n"
            "                          (default: beside FILE)\n"
            "  --no-checkpoint         record no progress (an interrupted download restarts)\n"
            "  --abort-on-interrupt    Ctrl-C aborts (deletes the partial download and the\n"
            "                          checkpoint) instead of pausing\n"
            "  -q, --quiet             no progress display\n"
            "  -h, --help              this text\n"
            "  --version               the versions of tosput and of the library\n"
            "\n"
            "Ctrl-C (SIGINT) or SIGTERM pauses: the ranges written and the checkpoint are\n"
            "kept (FILE is untouched), and the same command resumes, fetching only what is\n"
            "missing. A second Ctrl-C while pausing aborts.\n"
            "The result (etag, size, crc64, bytes_received, ...) is printed on stdout.\n"
            "\n%s\n%s\n%s",
            CONNECTION_OPTIONS, DESTINATIONS, ENVIRONMENT, EXIT_CODES);
}

void tosput_usage_put_dir(FILE *out) {
    fprintf(out,
            "usage: tosput put-dir [options] DIR tos://BUCKET[/PREFIX]\n"
            "\n"
            "Uploads every file under DIR as PREFIX/ + its path relative to DIR (with /).\n"
            "PREFIX is a folder: tos://b/dir and tos://b/dir/ both put DIR/a.txt at dir/a.txt.\n"
            "Small files go up in one request, files of --part-size or more by multipart.\n"
            "\n"
            "options:\n%s%s"
            "  --files N               files uploaded at once (default: automatic)\n"
            "  --connections N         requests in flight at once over all files (default:\n"
            "                          automatic, up to 256; 16 with --files)\n"
            "  --include GLOB          upload only matching files (repeatable)\n"
            "  --exclude GLOB          leave matching files out (repeatable)\n"
            "                          GLOB: * within a path segment, ** across segments,\n"
            "                          ?, [a-z]; with a / it matches the path relative to\n"
            "                          DIR, without one the file name\n"
            "  --follow-symlinks       upload what symbolic links point to (default: skip them)\n"
            "  --continue-on-error     go on after a file fails (default: start no new file)\n"
            "  --checkpoint-dir DIR    record finished files and parts in DIR so an\n"
            "                          interrupted upload resumes (default: none)\n"
            "  --no-checkpoint         no checkpoint directory, even if one is given\n"
            "  --skip-existing         leave out files already at their key with the same\n"
            "                          size and checksum (one HEAD per file)\n"
            "%s"
            "\n"
            "Ctrl-C (SIGINT) or SIGTERM pauses; with --checkpoint-dir the same command\n"
            "resumes and skips finished files. A second Ctrl-C while pausing aborts.\n"
            "A summary is printed on stdout, failed files on stderr, and a last line of\n"
            "files and bytes uploaded, skipped and failed.\n"
            "\n%s\n%s\n%s",
            CONNECTION_OPTIONS, TRANSFER_OPTIONS, TAIL_OPTIONS, DESTINATIONS, ENVIRONMENT, EXIT_CODES);
}

void tosput_usage_get_dir(FILE *out) {
    fprintf(out,
            "usage: tosput get-dir [options] tos://BUCKET[/PREFIX] DIR\n"
            "\n"
            "Downloads every object under PREFIX/ into DIR (made if missing) as DIR/ + its\n"
            "key after PREFIX/. PREFIX is a folder, as for put-dir: tos://b/dir and\n"
            "tos://b/dir/ both put dir/a.txt at DIR/a.txt. A key ending in / becomes a\n"
            "directory. Each object goes to a temporary file renamed into place only when\n"
            "whole and its CRC-64 matches the server's: DIR never holds a partial file.\n"
            "A key that would lead outside DIR (.. or . segments, //, a leading /, a\n"
            "backslash, a symbolic link on the way) is a failed object, never written.\n"
            "\n"
            "options:\n%s"
            "  --part-size SIZE        bytes per ranged GET, 5M..5G (default 20M)\n"
            "  --tasks N               ranges fetched at once per object, 1..1000\n"
            "                          (default: automatic)\n"
            "  --limit-rate RATE       at most RATE bytes per second in total, e.g. 8M\n"
            "  --files N               objects downloaded at once (default: automatic)\n"
            "  --include GLOB          download only matching objects (repeatable)\n"
            "  --exclude GLOB          leave matching objects out (repeatable)\n"
            "                          GLOB: as put-dir's, on the key after PREFIX/\n"
            "  --continue-on-error     go on after an object fails (default: start no new one)\n"
            "  --checkpoint-dir DIR    record finished objects and large ones' ranges in DIR\n"
            "                          so an interrupted download resumes (default: none)\n"
            "  --skip-existing         leave out objects whose local file has the same size\n"
            "                          and CRC-64 (reads each such file)\n"
            "  --abort-on-interrupt    Ctrl-C aborts (deletes partial downloads and the\n"
            "                          checkpoints; finished files stay) instead of pausing\n"
            "  -q, --quiet             no progress display\n"
            "  -h, --help              this text\n"
            "  --version               the versions of tosput and of the library\n"
            "\n"
            "Ctrl-C (SIGINT) or SIGTERM pauses; with --checkpoint-dir the same command\n"
            "resumes and fetches no finished object again. A second Ctrl-C while pausing\n"
            "aborts. A summary is printed on stdout, failed objects (with their keys) on\n"
            "stderr, and a last line of files and bytes downloaded, skipped and failed.\n"
            "\n%s\n%s\n%s",
            CONNECTION_OPTIONS, DESTINATIONS, ENVIRONMENT, EXIT_CODES);
}

void tosput_usage_uploads(FILE *out) {
    fprintf(out,
            "usage: tosput uploads list [options] tos://BUCKET[/PREFIX]\n"
            "       tosput uploads abort --older-than DURATION [options] tos://BUCKET[/PREFIX]\n"
            "       (s3://BUCKET/... instead of tos:// speaks the S3 protocol)\n"
            "\n"
            "Multipart uploads left open on the server: by a paused `tosput put` never resumed,\n"
            "or by a process that died. Their parts stay stored (and billed) until aborted.\n"
            "\n"
            "  list     one line per upload under PREFIX on stdout, tab-separated:\n"
            "           key, upload id, initiated (UTC), age; then the count\n"
            "  abort    aborts those initiated at least DURATION ago (their parts are\n"
            "           deleted; a checkpoint naming one then starts afresh), printing each\n"
            "\n"
            "options:\n"
            "  --older-than DURATION   required by abort: e.g. 24h, 30m, 90s, 7d, 1h30m, 0s\n"
            "                          (0s aborts every upload, including ones in flight)\n"
            "%s"
            "  -h, --help              this text\n"
            "\n%s\n"
            "exit codes: 0 done, 1 the listing or an abort failed, 2 bad command line,\n"
            "3 configuration: no or incomplete credentials (without --anonymous), a bad\n"
            "endpoint or region, or the server refused the credentials (HTTP 403)\n",
            CONNECTION_OPTIONS, ENVIRONMENT);
}
